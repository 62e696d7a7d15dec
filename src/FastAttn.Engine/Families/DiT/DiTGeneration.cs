using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.DiT;

/// <summary>A prepared class-conditional DiT generation: plans searched on random calibration labels.</summary>
internal sealed class DiTGeneration(DiTGenerativeModel model, DiTGenerationRequest request, (int Width, int Height)? resize)
    : SearchedGeneration<DiTGenerationRequest, DiTPlanSearchOptions>(new DiTPlanSearch(model.Loaded.Pipeline), request, model.Fingerprint,
        model.Loaded.Defaults.SearchMetric, model.CostModel)
{
    /// <inheritdoc />
    public override FlopsShape AttentionShape
    {
        get
        {
            var config = model.Loaded.Pipeline.Transformer.Config;
            int side = PipelineRequest.Size!.Value / config.PatchSize;
            return new FlopsShape(side * side, config.HiddenSize, config.Depth, PipelineRequest.GuidanceScale > 1) { Heads = config.NumHeads };
        }
    }

    /// <inheritdoc />
    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var noGrad = no_grad();
        var result = model.Loaded.Pipeline.Generate(PipelineRequest with { Plan = plan }, progress, cancellationToken);
        if (!ReferenceEquals(result.Latents, result.Images)) result.Latents.Dispose();
        return new GenerationOutput(result.Images, result.Seeds, result.Elapsed, resize)
        {
            AttentionFallbacks = result.AttentionFallbacks,
            PeakCacheBytes = result.PeakCacheBytes,
            AttentionTime = result.AttentionTime,
        };
    }
}
