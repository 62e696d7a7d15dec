using Size = System.Drawing.Size;
using FastAttn.Engine.Sampling;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// A loaded model as the engine serves it: its name, fingerprint, sizes and sampling defaults, and how a request becomes a
/// <see cref="ServedGeneration"/>. One subclass per model family (class-conditional DiT, text-to-image PixArt).
/// </summary>
internal abstract class ServedModel : IDisposable
{
    /// <summary>The configured name.</summary>
    public required string Name { get; init; }

    /// <summary>The transformer's fingerprint (plan keys).</summary>
    public required string Fingerprint { get; init; }

    /// <summary>Sizes it generates without resizing.</summary>
    public required IReadOnlyList<Size> Sizes { get; init; }

    /// <summary>Its trained size (the default).</summary>
    public required Size NativeSize { get; init; }

    /// <summary>Default steps.</summary>
    public required int Steps { get; init; }

    /// <summary>Default sampler.</summary>
    public required IDiffusionSchedulerFactory Scheduler { get; init; }

    /// <summary>Default guidance scale.</summary>
    public required double GuidanceScale { get; init; }

    /// <summary>Folders of plans shipped with the model (searched after the user's plan folder).</summary>
    public IReadOnlyList<string> ShippedPlans { get; init; } = [];

    /// <summary>
    /// Checks <paramref name="request"/> against the model (prompt, size, negative prompt) and prepares its generation;
    /// a request it cannot serve is a <see cref="FastAttnRequestException"/>.
    /// </summary>
    public abstract ServedGeneration Prepare(FastAttnImageRequest request, int steps, double guidance, long seed, bool allowResize);

    /// <summary>
    /// Checks a video request and prepares its generation (its <see cref="ServedGeneration.Render"/> gives one GIF); models
    /// that do not generate video refuse with a <see cref="FastAttnRequestException"/>.
    /// </summary>
    public virtual ServedGeneration PrepareVideo(FastAttnVideoRequest request, int steps, double guidance, long seed) =>
        throw new FastAttnRequestException($"The model '{Name}' generates images, not video; use a text-to-video (Open-Sora) model.", "model");

    /// <summary>A generation at the native size with the default settings, for warming plans up.</summary>
    public abstract ServedGeneration Default();

    /// <summary>The supported sizes as text, for errors: "1024x1024, 1088x960, …".</summary>
    public string SizeList => string.Join(", ", Sizes.Select(s => $"{s.Width}x{s.Height}"));

    /// <inheritdoc />
    public abstract void Dispose();
}
