using System.Drawing;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Families.PixArt;

/// <summary>A loaded PixArt pipeline behind the family seam: text prompts, aspect-ratio buckets, plans searched on the shipped captions.</summary>
public sealed class PixArtGenerativeModel : GenerativeModel
{
    /// <summary>PixArt-Sigma's defaults: 20 steps at guidance 4.5 (the sampler comes from the folder's scheduler_config.json).</summary>
    public const int DefaultSteps = 20;

    /// <summary>PixArt-Sigma's default guidance scale.</summary>
    public const double DefaultGuidance = 4.5;

    /// <summary>Wraps a loaded pipeline; <paramref name="settings"/> may override its defaults and sizes.</summary>
    public PixArtGenerativeModel(string source, PixArtPipeline pipeline, ModelLoadSettings settings)
        : base("pixart", source, ModelFingerprint.Of(pipeline.Transformer), OutputKind.Image, ConditioningKind.Text, DefaultsOf(pipeline, settings))
    {
        Pipeline = pipeline;
        CostModel = settings.CostModel;
        MaxItemsPerForward = settings.MaxItemsPerForward;
    }

    /// <summary>The pipeline.</summary>
    public PixArtPipeline Pipeline { get; }

    private static ModelDefaults DefaultsOf(PixArtPipeline pipeline, ModelLoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(settings);
        int native = pipeline.DefaultSize;
        IReadOnlyList<Size> sizes = settings.Resolutions.Count > 0
            ? settings.Resolutions.Distinct().Order().Select(s => new Size(s, s)).ToArray()
            : PixArtResolutionBins.For(pipeline.Transformer.Config.SampleSize) is { } bins
                ? bins.Select(b => new Size(b.Width, b.Height)).ToArray()
                : [new Size(native, native)];
        return new ModelDefaults
        {
            Steps = settings.Steps ?? DefaultSteps,
            Scheduler = settings.Sampler is string name ? SchedulerRegistry.Get(name) : pipeline.Scheduler,
            GuidanceScale = settings.GuidanceScale ?? DefaultGuidance,
            NativeSize = new Size(native, native),
            Sizes = sizes,
        };
    }

    /// <inheritdoc />
    public override PreparedGeneration Prepare(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        GenerationChecks.Common(request);
        if (string.IsNullOrWhiteSpace(request.Prompt)) throw new GenerationRequestException("The prompt is empty: describe the image to draw.",
            "prompt");
        var native = Defaults.NativeSize;
        int w = request.Width ?? request.Height ?? native.Width, h = request.Height ?? request.Width ?? native.Height;
        bool exact = Defaults.Sizes.Contains(new Size(w, h));
        if (!exact && !request.AllowResize)
            throw new GenerationRequestException($"The model '{Source}' cannot generate {w}x{h} images. Supported sizes: {Defaults.SizeList}.",
                "size");
        int multiple = Pipeline.VaeFactor * Pipeline.Transformer.Config.PatchSize;
        if (w % multiple != 0 || h % multiple != 0)
            throw new GenerationRequestException($"Image sides must be multiples of {multiple} for the model '{Source}' (got {w}x{h}). Supported " +
                $"sizes: {Defaults.SizeList}.", "size");
        var scheduler = request.Sampler is string name ? GenerationChecks.Field("sampler", () => SchedulerRegistry.Get(name)) : Defaults.Scheduler;
        var pipelineRequest = new PixArtGenerationRequest
        {
            Prompts = Enumerable.Repeat(request.Prompt.Trim(), request.Count).ToArray(),
            NegativePrompt = request.NegativePrompt ?? "",
            Seeds = [request.Seed],
            Steps = request.Steps ?? Defaults.Steps,
            Scheduler = scheduler,
            GuidanceScale = request.GuidanceScale ?? Defaults.GuidanceScale,
            Width = w,
            Height = h,
            ResolutionBinning = !exact,
            CleanCaption = request.CleanCaption,
            CacheCapBytes = request.CacheCapBytes,
            CostModel = CostModel,
            TimeAttention = request.TimeAttention,
            SamplesPerForward = MaxItemsPerForward,
        };
        GenerationChecks.Field("request", () => { Pipeline.Validate(pipelineRequest); return 0; });
        var (rows, cols) = Pipeline.LatentSizeFor(pipelineRequest);
        int genW = cols * Pipeline.VaeFactor, genH = rows * Pipeline.VaeFactor;
        return new PixArtGeneration(this, pipelineRequest)
        {
            Request = request,
            Subject = request.Prompt.Trim(),
            Width = w,
            Height = h,
            ResizeNote = exact ? null : $"Generated at the model's {genW}x{genH} bucket and resized and centre-cropped to {w}x{h}.",
            Steps = pipelineRequest.Steps,
            Scheduler = scheduler.Name,
            GuidanceScale = pipelineRequest.GuidanceScale,
            Settings = GenerationChecks.Describe($"{genW}x{genH}", pipelineRequest.Steps, scheduler.Name, pipelineRequest.GuidanceScale),
        };
    }

    /// <summary>Random caption features standing in for the text encoder (random-weight models for timing), else null.</summary>
    internal StandInCaptions? Captions { get; init; }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        Pipeline.Dispose();
        Captions?.Dispose();
    }
}
