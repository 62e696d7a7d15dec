using System.Drawing;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Families.OpenSora;

/// <summary>A loaded Open-Sora pipeline behind the family seam: text prompts to clips, plans on the spatial (or temporal) attention.</summary>
public sealed class OpenSoraGenerativeModel : GenerativeModel
{
    /// <summary>Open-Sora v1.1's inference defaults: 100 IDDPM steps at guidance 7, 16 frames of 426x240 played at 8 fps.</summary>
    public static readonly (int Steps, string Sampler, double Guidance, int Frames, double Fps, Size Size) Reference =
        (100, "iddpm", 7.0, 16, 8, new Size(426, 240));

    /// <summary>Wraps a loaded pipeline; <paramref name="settings"/> may override its defaults and sizes.</summary>
    public OpenSoraGenerativeModel(string source, OpenSoraPipeline pipeline, ModelLoadSettings settings)
        : base("opensora", source, ModelFingerprint.Of(pipeline.Transformer), OutputKind.Video, ConditioningKind.Text, DefaultsOf(settings))
    {
        Pipeline = pipeline;
        CostModel = settings.CostModel;
        MaxItemsPerForward = settings.MaxItemsPerForward;
    }

    private static ModelDefaults DefaultsOf(ModelLoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ModelDefaults
        {
            Steps = settings.Steps ?? Reference.Steps,
            Scheduler = SchedulerRegistry.Get(settings.Sampler ?? Reference.Sampler),
            GuidanceScale = settings.GuidanceScale ?? Reference.Guidance,
            NativeSize = Reference.Size,
            Sizes = settings.Resolutions.Count > 0 ? settings.Resolutions.Distinct().Order().Select(s => new Size(s, s)).ToArray() : [Reference.Size],
            Frames = Reference.Frames,
            Fps = Reference.Fps,
        };
    }

    /// <summary>The pipeline.</summary>
    public OpenSoraPipeline Pipeline { get; }

    /// <inheritdoc />
    public override PreparedGeneration Prepare(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        GenerationChecks.Common(request);
        if (request is not VideoRequest video)
            throw new GenerationRequestException($"The model '{Source}' generates video; ask for a clip (a video request) or use an image model.",
                "model");
        if (string.IsNullOrWhiteSpace(request.Prompt)) throw new GenerationRequestException("The prompt is empty: describe the clip.", "prompt");
        if (!string.IsNullOrWhiteSpace(request.NegativePrompt))
            throw new GenerationRequestException("Open-Sora uses its learned null caption for guidance and takes no negative prompt.",
                "negativePrompt");
        int width = request.Width ?? Defaults.NativeSize.Width, height = request.Height ?? Defaults.NativeSize.Height;
        int minimum = Pipeline.VaeFactor * Pipeline.Transformer.Config.PatchW;
        if (width < minimum || height < minimum)
            throw new GenerationRequestException($"Clips must be at least {minimum}x{minimum} pixels (got {width}x{height}).", "size");
        if (video.Frames is int f && f < 1) throw new GenerationRequestException($"Frames must be at least 1 (got {f}).", "frames");
        if (video.Fps is double fps && (double.IsNaN(fps) || fps <= 0))
            throw new GenerationRequestException($"Playback fps must be positive (got {fps}).", "fps");
        var scheduler = request.Sampler is string name ? GenerationChecks.Field("sampler", () => SchedulerRegistry.Get(name)) : Defaults.Scheduler;
        var pipelineRequest = new VideoGenerationRequest
        {
            Prompts = Enumerable.Repeat(request.Prompt.Trim(), request.Count).ToArray(),
            Seeds = [request.Seed],
            Frames = video.Frames ?? Defaults.Frames!.Value,
            Height = height,
            Width = width,
            Steps = request.Steps ?? Defaults.Steps,
            Scheduler = scheduler,
            GuidanceScale = request.GuidanceScale ?? Defaults.GuidanceScale,
            OutputFps = video.Fps ?? Defaults.Fps!.Value,
            CleanCaption = request.CleanCaption,
            TemporalPlan = video.TemporalPlan,
            CacheCapBytes = request.CacheCapBytes,
            CostModel = CostModel,
            TimeAttention = request.TimeAttention,
            SamplesPerForward = MaxItemsPerForward,
        };
        var (frames, rows, cols) = Pipeline.LatentSizeFor(pipelineRequest);
        return new OpenSoraGeneration(this, pipelineRequest)
        {
            Request = request,
            Subject = request.Prompt.Trim(),
            Width = cols * Pipeline.VaeFactor,
            Height = rows * Pipeline.VaeFactor,
            Frames = frames,
            Fps = pipelineRequest.OutputFps,
            Steps = pipelineRequest.Steps,
            Scheduler = scheduler.Name,
            GuidanceScale = pipelineRequest.GuidanceScale,
            Settings = GenerationChecks.Describe($"{frames} frames at {width}x{height}", pipelineRequest.Steps, scheduler.Name,
                pipelineRequest.GuidanceScale),
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
