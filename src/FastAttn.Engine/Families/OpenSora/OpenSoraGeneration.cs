using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.OpenSora;

/// <summary>A prepared Open-Sora generation: plans keyed by the latent clip, on the spatial or temporal self-attention.</summary>
internal sealed class OpenSoraGeneration(OpenSoraGenerativeModel model, VideoGenerationRequest request) : PreparedGeneration
{
    private OpenSoraPlanSearch PlanSearch => new(model.Pipeline);

    private PlanSearchOptions Options(double threshold, PlanSearchSettings? settings)
    {
        settings ??= new PlanSearchSettings();
        int tokens = model.Pipeline.TokensPerCall(request, settings.Target);
        return PlanSearch.OptionsFor(request, threshold, settings.CalibrationCount, settings.CalibrationSeed, settings.Metric ??
            SearchMetric.RawOutput,
            settings.WindowFor(tokens), settings.Target) with { PrefixReuse = settings.PrefixReuse };
    }

    /// <inheritdoc />
    public override PlanKey PlanKey(double threshold, PlanSearchSettings? settings = null) => PlanSearch.KeyFor(Options(threshold, settings),
        model.Fingerprint);

    /// <inheritdoc />
    public override CompressionPlan SearchPlan(double threshold, PlanSearchSettings? settings = null, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        PlanSearch.Search(Options(threshold, settings), progress, cancellationToken);

    /// <inheritdoc />
    public override double RawAttentionFlops
    {
        get
        {
            var config = model.Pipeline.Transformer.Config;
            int frames = model.Pipeline.LatentSizeFor(request).Frames, tokens = model.Pipeline.TokensPerCall(request);
            bool cfg = request.GuidanceScale > 1;
            var (perFrame, _) = AttentionFlops.Layer(AttentionMethod.Full, false, new FlopsShape(tokens, config.HiddenSize, config.Depth, cfg), 0);
            return perFrame * frames * (cfg ? 2 : 1) * config.Depth * request.Steps * request.Count;
        }
    }

    /// <inheritdoc />
    public override FlopsShape AttentionShape
    {
        get
        {
            var config = model.Pipeline.Transformer.Config;
            return new FlopsShape(model.Pipeline.TokensPerCall(request), config.HiddenSize, config.Depth, request.GuidanceScale > 1,
                CaptionTokens: config.ModelMaxLength);
        }
    }

    /// <inheritdoc />
    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var noGrad = no_grad();
        var run = request with { Plan = plan };
        if (model.Captions is StandInCaptions captions) run = run with { Prompts = [], PromptEmbeddings = captions.Prompt(request.Count) };
        var result = model.Pipeline.Generate(run, progress, cancellationToken);
        if (!ReferenceEquals(result.Latents, result.Videos)) result.Latents.Dispose();
        return new VideoOutput(result.Videos, result.Seeds, result.Fps, result.Elapsed)
        {
            AttentionFallbacks = result.AttentionFallbacks,
            PeakCacheBytes = result.PeakCacheBytes,
            AttentionTime = result.AttentionTime,
        };
    }
}
