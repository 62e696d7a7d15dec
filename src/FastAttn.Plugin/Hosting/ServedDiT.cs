using Size = System.Drawing.Size;
using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Conditioning;
using FastAttn.Engine.Imaging;
using FastAttn.Engine.Models.Vae;
using FastAttn.Engine.Pipelines;
using FastAttn.Plugin.Options;
using static TorchSharp.torch;

namespace FastAttn.Plugin.Hosting;

/// <summary>A class-conditional DiT as served: the prompt names a class, square sizes, plans searched on random labels.</summary>
internal sealed class ServedDiT : ServedModel
{
    private readonly int _pixelsPerLatent;

    private ServedDiT(LoadedDiT loaded, int pixelsPerLatent)
    {
        Loaded = loaded;
        _pixelsPerLatent = pixelsPerLatent;
    }

    /// <summary>The loaded checkpoint, labels and defaults.</summary>
    public LoadedDiT Loaded { get; }

    /// <summary>Wraps <paramref name="loaded"/> with the configured sizes and defaults.</summary>
    public static ServedDiT Create(string name, LoadedDiT loaded, FastAttnModelOptions? options)
    {
        int factor = loaded.Pipeline.Decoder is AutoencoderKLDecoder vae ? vae.Config.DownscaleFactor : 1;
        int native = loaded.Pipeline.Transformer.Config.InputSize * factor;
        var sides = options is { Resolutions.Count: > 0 } ? options.Resolutions.Distinct().Order().ToArray() : [native];
        return new ServedDiT(loaded, factor)
        {
            Name = name,
            Fingerprint = ModelFingerprint.Of(loaded.Pipeline.Transformer),
            Sizes = sides.Select(s => new Size(s, s)).ToArray(),
            NativeSize = new Size(native, native),
            Steps = options?.Steps ?? loaded.Defaults.Steps,
            Scheduler = loaded.Defaults.CreateScheduler(options?.Scheduler),
            GuidanceScale = options?.GuidanceScale ?? loaded.Defaults.GuidanceScale,
            ShippedPlans = loaded.ShippedPlans is string shipped ? [shipped] : [],
        };
    }

    /// <inheritdoc />
    public override ServedGeneration Prepare(FastAttnImageRequest request, int steps, double guidance, long seed, bool allowResize)
    {
        int classId;
        try { classId = PromptClasses.Resolve(Loaded.Labels, request.Prompt); }
        catch (ArgumentException e) { throw new FastAttnRequestException(e.Message, "prompt", e); }
        if (!string.IsNullOrWhiteSpace(request.NegativePrompt))
            throw new FastAttnRequestException($"The model '{Name}' is class-conditional and takes no negative prompt.", "negativePrompt");
        int w = request.Width ?? request.Height ?? NativeSize.Width, h = request.Height ?? request.Width ?? NativeSize.Height;
        int side;
        string? resize = null;
        if (w == h && Sizes.Contains(new Size(w, w))) side = w;
        else if (allowResize)
        {
            side = NativeSize.Width;
            resize = $"Generated at the model's {side}x{side} and resized to {w}x{h}.";
        }
        else throw new FastAttnRequestException($"The model '{Name}' cannot generate {w}x{h} images. Supported sizes: {SizeList}.", "size");
        return NewGeneration(classId, request.Count, side, w, h, resize, steps, guidance, seed);
    }

    /// <inheritdoc />
    public override ServedGeneration Default() =>
        NewGeneration(0, 1, NativeSize.Width, NativeSize.Width, NativeSize.Height, null, Steps, GuidanceScale, 0);

    private Generation NewGeneration(int classId, int count, int side, int width, int height, string? resize, int steps, double guidance, long seed)
    {
        var request = new DiTGenerationRequest
        {
            ClassLabels = Enumerable.Repeat(classId, count).ToArray(),
            Seeds = [seed],
            Steps = steps,
            Scheduler = Scheduler,
            GuidanceScale = guidance,
            Size = side / _pixelsPerLatent,
        };
        return new Generation(this, request)
        {
            Subject = PromptClasses.Describe(Loaded.Labels, classId),
            ClassId = classId,
            Width = width,
            Height = height,
            ResizeNote = resize,
            Settings = string.Create(CultureInfo.InvariantCulture, $"{side}px, {steps} {Scheduler.Name} steps, guidance {guidance}"),
            Scheduler = Scheduler.Name,
        };
    }

    /// <inheritdoc />
    public override void Dispose() => Loaded.Dispose();

    private sealed class Generation(ServedDiT model, DiTGenerationRequest request) : ServedGeneration
    {
        public override long SeedFor(int index) => request.SeedFor(index);

        public override PlanSearchOptions SearchOptions(double delta) =>
            PlanLookup.SearchOptions(model.Loaded.Pipeline, request, delta, metric: model.Loaded.Defaults.SearchMetric);

        public override PlanKey KeyFor(PlanSearchOptions options, string fingerprint) => PlanLookup.KeyFor(model.Loaded.Pipeline, options, fingerprint);

        public override CompressionPlan Search(PlanSearchOptions options, CancellationToken cancellationToken) =>
            new GreedyPlanSearch(model.Loaded.Pipeline).Search(options, null, cancellationToken);

        public override double RawAttentionFlops
        {
            get
            {
                var config = model.Loaded.Pipeline.Transformer.Config;
                int side = (request.Size ?? config.InputSize) / config.PatchSize;
                bool cfg = request.GuidanceScale > 1;
                var (perSample, _) = AttentionFlops.Layer(Engine.Attention.AttentionMethod.Full, false, new FlopsShape(side * side, config.HiddenSize, config.Depth, cfg), 0);
                return perSample * (cfg ? 2 : 1) * config.Depth * request.Steps * request.ClassLabels.Count;
            }
        }

        public override byte[][] Render(CompressionPlan? plan, CancellationToken cancellationToken)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var result = model.Loaded.Pipeline.Generate(request with { Plan = plan }, null, cancellationToken);
            return PngEncoding.Encode(result.Images, ResizeNote is null ? null : (Width, Height));
        }
    }
}
