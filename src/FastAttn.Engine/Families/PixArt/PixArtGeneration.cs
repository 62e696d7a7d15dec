using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.PixArt;

/// <summary>
/// A prepared PixArt generation: plans keyed by the latent bucket generated at, searched on the shipped captions.
/// Generations of one model at the same bucket and delivered size, steps, sampler, guidance and caption settings share
/// forward passes, whatever their prompts (each padded to the caption length with its own mask), negative prompts
/// (one per item), counts and seeds.
/// </summary>
internal sealed class PixArtGeneration(PixArtGenerativeModel model, PixArtGenerationRequest request)
    : SearchedGeneration<PixArtGenerationRequest, TextPlanSearchOptions>(new PixArtPlanSearch(model.Pipeline), request, model.Fingerprint,
        costModel: model.CostModel)
{
    /// <inheritdoc />
    public override FlopsShape AttentionShape
    {
        get
        {
            var config = model.Pipeline.Transformer.Config;
            var (rows, cols) = model.Pipeline.LatentSizeFor(PipelineRequest);
            int captionTokens = model.Captions is null ? PipelineRequest.MaxTokens : model.Captions.Tokens;
            return new FlopsShape(rows / config.PatchSize * (cols / config.PatchSize), config.HiddenSize, config.NumLayers,
                PipelineRequest.GuidanceScale > 1, CaptionTokens: captionTokens) { Heads = config.NumHeads };
        }
    }

    /// <summary>Null (runs alone) with a cache cap, whose fallbacks depend on the batch; else the model, sizes and sampling settings.</summary>
    public override string? BatchKey
    {
        get
        {
            var r = PipelineRequest;
            if (r.CacheCapBytes is not null) return null;
            var (rows, cols) = model.Pipeline.LatentSizeFor(r);
            var weights = model.Pipeline.Transformer.parameters().First();
            return BatchedRuns.Key("pixart", model.Fingerprint, weights.device, weights.dtype, rows, cols, r.Width, r.Height, r.ResolutionBinning,
                r.Steps, r.Scheduler?.Name, r.GuidanceScale, r.CleanCaption, r.MaxTokens, r.TimeAttention);
        }
    }

    /// <inheritdoc />
    public override long ItemBytes
    {
        get
        {
            var config = model.Pipeline.Transformer.Config;
            var shape = AttentionShape;
            return ItemMemory.Bytes(shape.Tokens, config.HiddenSize, config.NumHeads, config.NumLayers, shape.CfgBatch,
                model.Pipeline.Transformer.parameters().First().dtype, shape.CaptionTokens);
        }
    }

    /// <inheritdoc />
    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default) => Generate([this], PipelineRequest with { Plan = plan }, progress, cancellationToken)[0];

    /// <summary>
    /// Every member's items as one pipeline batch: their prompts, negative prompts and seeds in member order, forward passes of
    /// up to the model's <see cref="GenerativeModel.MaxItemsPerForward"/> items ([uncond of those items; cond of them], PixArt's order).
    /// </summary>
    protected override IReadOnlyList<GenerationOutput> RunBatch(IReadOnlyList<PreparedGeneration> members, CompressionPlan? plan,
        IProgress<DiffusionProgress>? progress, CancellationToken cancellationToken)
    {
        var all = members.Cast<PixArtGeneration>().ToArray();
        var batch = PipelineRequest with
        {
            Prompts = all.SelectMany(m => m.PipelineRequest.Prompts).ToArray(),
            NegativePrompts = all.SelectMany(m => Enumerable.Repeat(m.PipelineRequest.NegativePrompt, m.Count)).ToArray(),
            Seeds = BatchedRuns.Seeds(members),
            Plan = plan,
        };
        return Generate(members, batch, progress, cancellationToken);
    }

    private IReadOnlyList<GenerationOutput> Generate(IReadOnlyList<PreparedGeneration> members, PixArtGenerationRequest run,
        IProgress<DiffusionProgress>? progress, CancellationToken cancellationToken)
    {
        using var noGrad = no_grad();
        if (model.Captions is StandInCaptions captions)
        {
            run = run with
            {
                Prompts = [], NegativePrompts = null, PromptEmbeddings = captions.Prompt(run.Count), NegativeEmbeddings = captions.Negative,
            };
        }
        var result = model.Pipeline.Generate(run, progress, cancellationToken);
        if (!ReferenceEquals(result.Latents, result.Images)) result.Latents.Dispose();
        if (members.Count == 1)
            return [Output(result.Images, result.Seeds, result)];
        return BatchedRuns.Split(members, result.Images, (_, items, seeds) => Output(items, seeds, result));
    }

    private static GenerationOutput Output(Tensor items, IReadOnlyList<long> seeds, ImageGenerationResult result) =>
        new(items, seeds, result.Elapsed)
        {
            AttentionFallbacks = result.AttentionFallbacks,
            PeakCacheBytes = result.PeakCacheBytes,
            ModuleTimes = result.ModuleTimes,
        };
}
