using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.DiT;

/// <summary>A prepared class-conditional DiT generation: plans searched on random calibration labels.</summary>
internal sealed class DiTGeneration(DiTGenerativeModel model, DiTGenerationRequest request, (int Width, int Height)? resize) : PreparedGeneration
{
    /// <summary>The pipeline request (latent units).</summary>
    public DiTGenerationRequest PipelineRequest => request;

    private PlanSearchOptions Options(double threshold, PlanSearchSettings? settings)
    {
        settings ??= new PlanSearchSettings();
        var config = model.Loaded.Pipeline.Transformer.Config;
        int side = request.Size!.Value / config.PatchSize;
        return PlanLookup.SearchOptions(model.Loaded.Pipeline, request, threshold, settings.WindowFor(side * side), settings.CalibrationCount ?? 8,
            settings.CalibrationSeed, settings.Metric ?? model.Loaded.Defaults.SearchMetric) with { PrefixReuse = settings.PrefixReuse };
    }

    /// <inheritdoc />
    public override PlanKey PlanKey(double threshold, PlanSearchSettings? settings = null) =>
        PlanLookup.KeyFor(model.Loaded.Pipeline, Options(threshold, settings), model.Fingerprint);

    /// <inheritdoc />
    public override CompressionPlan SearchPlan(double threshold, PlanSearchSettings? settings = null, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        new GreedyPlanSearch(model.Loaded.Pipeline).Search(Options(threshold, settings), progress, cancellationToken);

    /// <inheritdoc />
    public override double RawAttentionFlops
    {
        get
        {
            var config = model.Loaded.Pipeline.Transformer.Config;
            int side = request.Size!.Value / config.PatchSize;
            bool cfg = request.GuidanceScale > 1;
            var (perSample, _) = AttentionFlops.Layer(AttentionMethod.Full, false, new FlopsShape(side * side, config.HiddenSize, config.Depth,
                cfg), 0);
            return perSample * (cfg ? 2 : 1) * config.Depth * request.Steps * request.ClassLabels.Count;
        }
    }

    /// <inheritdoc />
    public override FlopsShape AttentionShape
    {
        get
        {
            var config = model.Loaded.Pipeline.Transformer.Config;
            int side = request.Size!.Value / config.PatchSize;
            return new FlopsShape(side * side, config.HiddenSize, config.Depth, request.GuidanceScale > 1);
        }
    }

    /// <inheritdoc />
    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var noGrad = no_grad();
        var result = model.Loaded.Pipeline.Generate(request with { Plan = plan }, progress, cancellationToken);
        if (!ReferenceEquals(result.Latents, result.Images)) result.Latents.Dispose();
        return new GenerationOutput(result.Images, result.Seeds, result.Elapsed, resize)
        {
            AttentionFallbacks = result.AttentionFallbacks,
            PeakCacheBytes = result.PeakCacheBytes,
            AttentionTime = result.AttentionTime,
        };
    }
}
