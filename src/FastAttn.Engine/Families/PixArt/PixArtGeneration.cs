using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.PixArt;

/// <summary>A prepared PixArt generation: plans keyed by the latent bucket generated at, searched on the shipped captions.</summary>
internal sealed class PixArtGeneration(PixArtGenerativeModel model, PixArtGenerationRequest request) : PreparedGeneration
{
    private PlanSearchOptions Options(double threshold, PlanSearchSettings? settings)
    {
        settings ??= new PlanSearchSettings();
        var (rows, cols) = model.Pipeline.LatentSizeFor(request);
        int patch = model.Pipeline.Transformer.Config.PatchSize;
        return PlanLookup.SearchOptions(model.Pipeline, request, threshold, settings.WindowFor(rows / patch * (cols / patch)),
            settings.CalibrationCount,
            settings.CalibrationSeed, settings.Metric ?? SearchMetric.RawOutput) with { PrefixReuse = settings.PrefixReuse };
    }

    /// <inheritdoc />
    public override PlanKey PlanKey(double threshold, PlanSearchSettings? settings = null) =>
        PlanLookup.KeyFor(model.Pipeline, Options(threshold, settings), model.Fingerprint);

    /// <inheritdoc />
    public override CompressionPlan SearchPlan(double threshold, PlanSearchSettings? settings = null, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        new PixArtPlanSearch(model.Pipeline).Search(Options(threshold, settings), progress, cancellationToken);

    /// <inheritdoc />
    public override double RawAttentionFlops
    {
        get
        {
            var config = model.Pipeline.Transformer.Config;
            var (rows, cols) = model.Pipeline.LatentSizeFor(request);
            bool cfg = request.GuidanceScale > 1;
            var shape = new FlopsShape(rows / config.PatchSize * (cols / config.PatchSize), config.HiddenSize, config.NumLayers, cfg);
            var (perSample, _) = AttentionFlops.Layer(AttentionMethod.Full, false, shape, 0);
            return perSample * (cfg ? 2 : 1) * config.NumLayers * request.Steps * request.Count;
        }
    }

    /// <inheritdoc />
    public override FlopsShape AttentionShape
    {
        get
        {
            var config = model.Pipeline.Transformer.Config;
            var (rows, cols) = model.Pipeline.LatentSizeFor(request);
            int captionTokens = model.Captions is null ? request.MaxTokens : model.Captions.Tokens;
            return new FlopsShape(rows / config.PatchSize * (cols / config.PatchSize), config.HiddenSize, config.NumLayers, request.GuidanceScale > 1,
                CaptionTokens: captionTokens);
        }
    }

    /// <inheritdoc />
    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var noGrad = no_grad();
        var run = request with { Plan = plan };
        if (model.Captions is StandInCaptions captions)
            run = run with { Prompts = [], PromptEmbeddings = captions.Prompt(request.Count), NegativeEmbeddings = captions.Negative };
        var result = model.Pipeline.Generate(run, progress, cancellationToken);
        if (!ReferenceEquals(result.Latents, result.Images)) result.Latents.Dispose();
        return new GenerationOutput(result.Images, result.Seeds, result.Elapsed)
        {
            AttentionFallbacks = result.AttentionFallbacks,
            PeakCacheBytes = result.PeakCacheBytes,
            AttentionTime = result.AttentionTime,
        };
    }
}
