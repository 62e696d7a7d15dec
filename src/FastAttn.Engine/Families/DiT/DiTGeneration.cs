using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.DiT;

/// <summary>
/// A prepared class-conditional DiT generation: plans searched on random calibration labels. Generations of one model at
/// the same size, steps, sampler, guidance (and guided channels, cache cap) share forward passes, whatever their classes,
/// counts and seeds.
/// </summary>
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

    /// <summary>Null (runs alone) with a cache cap, whose fallbacks depend on the batch; else the model, size and sampling settings.</summary>
    public override string? BatchKey
    {
        get
        {
            var r = PipelineRequest;
            if (r.CacheCapBytes is not null) return null;
            var transformer = model.Loaded.Pipeline.Transformer;
            return BatchedRuns.Key("dit", model.Fingerprint, transformer.Device, transformer.DType, r.Size, Width, Height, resize is null, r.Steps,
                r.Scheduler.Name, r.GuidanceScale, r.GuidedChannels, r.TimeAttention);
        }
    }

    /// <inheritdoc />
    public override long ItemBytes
    {
        get
        {
            var config = model.Loaded.Pipeline.Transformer.Config;
            var shape = AttentionShape;
            return ItemMemory.Bytes(shape.Tokens, config.HiddenSize, config.NumHeads, config.Depth, shape.CfgBatch,
                model.Loaded.Pipeline.Transformer.DType);
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
            ModuleTimes = result.ModuleTimes,
        };
    }

    /// <summary>
    /// Every member's items as one pipeline batch: their labels and seeds in member order, forward passes of up to the
    /// model's <see cref="GenerativeModel.MaxItemsPerForward"/> items ([cond of those items; uncond of them], DiT's order).
    /// </summary>
    protected override IReadOnlyList<GenerationOutput> RunBatch(IReadOnlyList<PreparedGeneration> members, CompressionPlan? plan,
        IProgress<DiffusionProgress>? progress, CancellationToken cancellationToken)
    {
        var all = members.Cast<DiTGeneration>().ToArray();
        var batch = PipelineRequest with
        {
            ClassLabels = all.SelectMany(m => m.PipelineRequest.ClassLabels).ToArray(),
            Seeds = BatchedRuns.Seeds(members),
            Plan = plan,
        };
        using var noGrad = no_grad();
        var result = model.Loaded.Pipeline.Generate(batch, progress, cancellationToken);
        if (!ReferenceEquals(result.Latents, result.Images)) result.Latents.Dispose();
        return BatchedRuns.Split(members, result.Images, (member, items, seeds) =>
            new GenerationOutput(items, seeds, result.Elapsed, ((DiTGeneration)member).Resize)
            {
                AttentionFallbacks = result.AttentionFallbacks,
                PeakCacheBytes = result.PeakCacheBytes,
                ModuleTimes = result.ModuleTimes,
            });
    }

    /// <summary>The delivered size the images are resized to, or null.</summary>
    private (int Width, int Height)? Resize => resize;
}
