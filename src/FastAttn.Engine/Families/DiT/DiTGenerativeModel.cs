using System.Drawing;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Conditioning;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Models.Vae;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Families.DiT;

/// <summary>A loaded class-conditional DiT behind the family seam: the prompt names a class; square sizes.</summary>
public sealed class DiTGenerativeModel : GenerativeModel
{
    private readonly bool _anySize;

    /// <summary>Wraps a loaded DiT; <paramref name="settings"/> may override its defaults and sizes.</summary>
    public DiTGenerativeModel(string source, LoadedDiT loaded, ModelLoadSettings settings)
        : base("dit", source, ModelFingerprint.Of(loaded.Pipeline.Transformer), OutputKind.Image, ConditioningKind.ClassLabel,
            DefaultsOf(loaded, settings), loaded.ShippedPlans ?? "")
    {
        Loaded = loaded;
        CostModel = settings.CostModel;
        MaxItemsPerForward = settings.MaxItemsPerForward;
        PixelsPerLatent = PixelsPerLatentOf(loaded);
        _anySize = settings.AnySize;
    }

    private static int PixelsPerLatentOf(LoadedDiT loaded) => loaded.Pipeline.Decoder is AutoencoderKLDecoder vae ? vae.Config.DownscaleFactor : 1;

    private static ModelDefaults DefaultsOf(LoadedDiT loaded, ModelLoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(settings);
        int native = loaded.Pipeline.Transformer.Config.InputSize * PixelsPerLatentOf(loaded);
        var sides = settings.Resolutions.Count > 0 ? settings.Resolutions.Distinct().Order().ToArray() : [native];
        return new ModelDefaults
        {
            Steps = settings.Steps ?? loaded.Defaults.Steps,
            Scheduler = loaded.Defaults.CreateScheduler(settings.Sampler),
            GuidanceScale = settings.GuidanceScale ?? loaded.Defaults.GuidanceScale,
            NativeSize = new Size(native, native),
            Sizes = sides.Select(s => new Size(s, s)).ToArray(),
        };
    }

    /// <summary>The pipeline, labels and defaults.</summary>
    public LoadedDiT Loaded { get; }

    /// <summary>Pixels per latent pixel: the VAE's factor, 1 for pixel-space models.</summary>
    public int PixelsPerLatent { get; }

    /// <inheritdoc />
    public override PreparedGeneration Prepare(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        GenerationChecks.Common(request);
        int classId;
        try { classId = PromptClasses.Resolve(Loaded.Labels, request.Prompt); }
        catch (ArgumentException e) { throw new GenerationRequestException(e.Message, "prompt", e); }
        if (!string.IsNullOrWhiteSpace(request.NegativePrompt))
            throw new GenerationRequestException($"The model '{Source}' is class-conditional and takes no negative prompt.", "negativePrompt");
        var native = Defaults.NativeSize;
        int w = request.Width ?? request.Height ?? native.Width, h = request.Height ?? request.Width ?? native.Height;
        int side;
        string? resize = null;
        int multiple = PixelsPerLatent * Loaded.Pipeline.Transformer.Config.PatchSize;
        if (w == h && w % multiple == 0 && (_anySize || Defaults.Sizes.Contains(new Size(w, w)))) side = w;
        else if (request.AllowResize)
        {
            side = native.Width;
            resize = $"Generated at the model's {side}x{side} and resized to {w}x{h}.";
        }
        else
        {
            throw new GenerationRequestException(
                $"The model '{Source}' cannot generate {w}x{h} images. Supported sizes: {Defaults.SizeList}.", "size");
        }
        var scheduler = request.Sampler is string name
            ? GenerationChecks.Field("sampler", () => Loaded.Defaults.CreateScheduler(name))
            : Defaults.Scheduler;
        var pipelineRequest = new DiTGenerationRequest
        {
            ClassLabels = Enumerable.Repeat(classId, request.Count).ToArray(),
            Seeds = [request.Seed],
            Steps = request.Steps ?? Defaults.Steps,
            Scheduler = scheduler,
            GuidanceScale = request.GuidanceScale ?? Defaults.GuidanceScale,
            GuidedChannels = request.GuidedChannels ?? Engine.Sampling.GuidedChannels.ReferenceFirstThree,
            Size = side / PixelsPerLatent,
            CacheCapBytes = request.CacheCapBytes,
            CostModel = CostModel,
            TimeAttention = request.TimeAttention,
            SamplesPerForward = MaxItemsPerForward,
        };
        GenerationChecks.Field("request", () => { DiTPipeline.Validate(pipelineRequest, Loaded.Pipeline.Transformer.Config); return 0; });
        return new DiTGeneration(this, pipelineRequest, resize is null ? null : (w, h))
        {
            Request = request,
            Subject = PromptClasses.Describe(Loaded.Labels, classId),
            ClassId = classId,
            Width = w,
            Height = h,
            ResizeNote = resize,
            Steps = pipelineRequest.Steps,
            Scheduler = scheduler.Name,
            GuidanceScale = pipelineRequest.GuidanceScale,
            Settings = GenerationChecks.Describe($"{side}px", pipelineRequest.Steps, scheduler.Name, pipelineRequest.GuidanceScale),
        };
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) Loaded.Dispose();
    }
}
