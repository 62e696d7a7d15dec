using Size = System.Drawing.Size;
using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Plugin.Options;
using static TorchSharp.torch;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// A PixArt text-to-image pipeline as served: the prompt is the caption, a negative prompt is honoured, sizes are the
/// model's aspect-ratio buckets, plans are searched on the shipped calibration captions.
/// </summary>
internal sealed class ServedPixArt : ServedModel
{
    private ServedPixArt(PixArtPipeline pipeline) => Pipeline = pipeline;

    /// <summary>The pipeline.</summary>
    public PixArtPipeline Pipeline { get; }

    /// <summary>Wraps <paramref name="pipeline"/> (loaded from <paramref name="path"/>) with its buckets and defaults.</summary>
    public static ServedPixArt Create(string name, string path, PixArtPipeline pipeline, FastAttnModelOptions? options)
    {
        int native = pipeline.DefaultSize;
        IReadOnlyList<Size> sizes = options is { Resolutions.Count: > 0 }
            ? options.Resolutions.Distinct().Order().Select(s => new Size(s, s)).ToArray()
            : PixArtResolutionBins.For(pipeline.Transformer.Config.SampleSize) is { } bins
                ? bins.Select(b => new Size(b.Width, b.Height)).ToArray()
                : [new Size(native, native)];
        var shipped = Path.Combine(path, "plans");
        return new ServedPixArt(pipeline)
        {
            Name = name,
            Fingerprint = ModelFingerprint.Of(pipeline.Transformer),
            Sizes = sizes,
            NativeSize = new Size(native, native),
            Steps = options?.Steps ?? 20,
            Scheduler = options?.Scheduler is string scheduler ? SchedulerRegistry.Get(scheduler) : pipeline.Scheduler,
            GuidanceScale = options?.GuidanceScale ?? 4.5,
            ShippedPlans = Directory.Exists(shipped) ? [shipped] : [],
        };
    }

    /// <inheritdoc />
    public override ServedGeneration Prepare(FastAttnImageRequest request, int steps, double guidance, long seed, bool allowResize)
    {
        if (string.IsNullOrWhiteSpace(request.Prompt)) throw new FastAttnRequestException("The prompt is empty: describe the image to draw.", "prompt");
        int w = request.Width ?? request.Height ?? NativeSize.Width, h = request.Height ?? request.Width ?? NativeSize.Height;
        bool exact = Sizes.Contains(new Size(w, h));
        if (!exact && !allowResize)
            throw new FastAttnRequestException($"The model '{Name}' cannot generate {w}x{h} images. Supported sizes: {SizeList}.", "size");
        int multiple = Pipeline.VaeFactor * Pipeline.Transformer.Config.PatchSize;
        if (w % multiple != 0 || h % multiple != 0)
            throw new FastAttnRequestException($"Image sides must be multiples of {multiple} for the model '{Name}' (got {w}x{h}). Supported sizes: {SizeList}.", "size");
        return NewGeneration(request.Prompt.Trim(), request.NegativePrompt ?? "", request.Count, w, h, binned: !exact, steps, guidance, seed);
    }

    /// <inheritdoc />
    public override ServedGeneration Default() =>
        NewGeneration("", "", 1, NativeSize.Width, NativeSize.Height, binned: false, Steps, GuidanceScale, 0);

    private Generation NewGeneration(string prompt, string negative, int count, int width, int height, bool binned, int steps, double guidance, long seed)
    {
        var request = new PixArtGenerationRequest
        {
            Prompts = Enumerable.Repeat(prompt, count).ToArray(),
            NegativePrompt = negative,
            Seeds = [seed],
            Steps = steps,
            Scheduler = Scheduler,
            GuidanceScale = guidance,
            Width = width,
            Height = height,
            ResolutionBinning = binned,
        };
        var (rows, cols) = Pipeline.LatentSizeFor(request);
        int genW = cols * Pipeline.VaeFactor, genH = rows * Pipeline.VaeFactor;
        return new Generation(this, request)
        {
            Subject = prompt,
            Width = width,
            Height = height,
            ResizeNote = binned ? $"Generated at the model's {genW}x{genH} bucket and resized and centre-cropped to {width}x{height}." : null,
            Settings = string.Create(CultureInfo.InvariantCulture, $"{genW}x{genH}, {steps} {Scheduler.Name} steps, guidance {guidance}"),
            Scheduler = Scheduler.Name,
        };
    }

    /// <inheritdoc />
    public override void Dispose() => Pipeline.Dispose();

    private sealed class Generation(ServedPixArt model, PixArtGenerationRequest request) : ServedGeneration
    {
        public override long SeedFor(int index) => request.SeedFor(index);

        public override PlanSearchOptions SearchOptions(double delta) => PlanLookup.SearchOptions(model.Pipeline, request, delta);

        public override PlanKey KeyFor(PlanSearchOptions options, string fingerprint) => PlanLookup.KeyFor(model.Pipeline, options, fingerprint);

        public override CompressionPlan Search(PlanSearchOptions options, CancellationToken cancellationToken) =>
            new PixArtPlanSearch(model.Pipeline).Search(options, null, cancellationToken);

        public override double RawAttentionFlops
        {
            get
            {
                var config = model.Pipeline.Transformer.Config;
                var (rows, cols) = model.Pipeline.LatentSizeFor(request);
                bool cfg = request.GuidanceScale > 1;
                var shape = new FlopsShape(rows / config.PatchSize * (cols / config.PatchSize), config.HiddenSize, config.NumLayers, cfg);
                var (perSample, _) = AttentionFlops.Layer(Engine.Attention.AttentionMethod.Full, false, shape, 0);
                return perSample * (cfg ? 2 : 1) * config.NumLayers * request.Steps * request.Count;
            }
        }

        public override byte[][] Render(CompressionPlan? plan, CancellationToken cancellationToken)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var result = model.Pipeline.Generate(request with { Plan = plan }, null, cancellationToken);
            return PngEncoding.Encode(result.Images, null);
        }
    }
}
