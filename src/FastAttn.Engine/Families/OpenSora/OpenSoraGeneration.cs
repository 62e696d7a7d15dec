using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.OpenSora;

/// <summary>
/// A prepared Open-Sora generation: plans keyed by the latent clip, on the spatial or temporal self-attention.
/// Generations of one model with the same clip (frames, size, fps), steps, sampler, guidance and temporal plan share
/// forward passes, whatever their prompts, counts and seeds.
/// </summary>
internal sealed class OpenSoraGeneration(OpenSoraGenerativeModel model, VideoGenerationRequest request)
    : SearchedGeneration<VideoGenerationRequest, VideoPlanSearchOptions>(new OpenSoraPlanSearch(model.Pipeline), request, model.Fingerprint,
        costModel: model.CostModel)
{
    /// <inheritdoc />
    public override FlopsShape AttentionShape
    {
        get
        {
            var config = model.Pipeline.Transformer.Config;
            return new FlopsShape(model.Pipeline.TokensPerCall(PipelineRequest), config.HiddenSize, config.Depth, PipelineRequest.GuidanceScale > 1,
                CaptionTokens: config.ModelMaxLength)
            {
                Heads = config.NumHeads, Frames = model.Pipeline.TokensPerCall(PipelineRequest, Models.OpenSora.VideoAttention.Temporal),
            };
        }
    }

    /// <inheritdoc />
    public override CompressionPlan? TemporalPlan => PipelineRequest.TemporalPlan;

    /// <summary>
    /// Null (runs alone) with a cache cap, whose fallbacks depend on the batch; else the model, clip, sampling settings and the
    /// temporal plan (the spatial plan is the caller's to match).
    /// </summary>
    public override string? BatchKey
    {
        get
        {
            var r = PipelineRequest;
            if (r.CacheCapBytes is not null) return null;
            var weights = model.Pipeline.Transformer.parameters().First();
            string? temporal = r.TemporalPlan is CompressionPlan tp
                ? $"{tp.Key}#{System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(tp)}"
                : null;
            return BatchedRuns.Key("opensora", model.Fingerprint, weights.device, weights.dtype, r.Frames, r.Width, r.Height, r.ConditionFps,
                r.OutputFps, r.Steps, r.Scheduler?.Name, r.GuidanceScale, r.CleanCaption, r.MaxTokens, r.Decode, r.TimeAttention, temporal);
        }
    }

    /// <inheritdoc />
    public override long ItemBytes
    {
        get
        {
            var config = model.Pipeline.Transformer.Config;
            var shape = AttentionShape;
            return ItemMemory.Bytes(shape.Tokens, config.HiddenSize, config.NumHeads, config.Depth, shape.CfgBatch,
                model.Pipeline.Transformer.parameters().First().dtype, shape.CaptionTokens, PipelineRequest.Frames);
        }
    }

    /// <inheritdoc />
    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default) => Generate([this], PipelineRequest with { Plan = plan }, progress, cancellationToken)[0];

    /// <summary>
    /// Every member's clips as one pipeline batch: their prompts and seeds in member order, forward passes of up to the
    /// model's <see cref="GenerativeModel.MaxItemsPerForward"/> clips ([cond of those clips; null caption of them], Open-Sora's order).
    /// </summary>
    protected override IReadOnlyList<GenerationOutput> RunBatch(IReadOnlyList<PreparedGeneration> members, CompressionPlan? plan,
        IProgress<DiffusionProgress>? progress, CancellationToken cancellationToken)
    {
        var batch = PipelineRequest with
        {
            Prompts = members.Cast<OpenSoraGeneration>().SelectMany(m => m.PipelineRequest.Prompts).ToArray(),
            Seeds = BatchedRuns.Seeds(members),
            Plan = plan,
        };
        return Generate(members, batch, progress, cancellationToken);
    }

    private IReadOnlyList<GenerationOutput> Generate(IReadOnlyList<PreparedGeneration> members, VideoGenerationRequest run,
        IProgress<DiffusionProgress>? progress, CancellationToken cancellationToken)
    {
        using var noGrad = no_grad();
        if (model.Captions is StandInCaptions captions) run = run with { Prompts = [], PromptEmbeddings = captions.Prompt(run.Count) };
        var result = model.Pipeline.Generate(run, progress, cancellationToken);
        if (!ReferenceEquals(result.Latents, result.Videos)) result.Latents.Dispose();
        if (members.Count == 1) return [Output(result.Videos, result.Seeds, result)];
        return BatchedRuns.Split(members, result.Videos, (_, items, seeds) => Output(items, seeds, result));
    }

    private static VideoOutput Output(Tensor items, IReadOnlyList<long> seeds, VideoGenerationResult result) =>
        new(items, seeds, result.Fps, result.Elapsed)
        {
            AttentionFallbacks = result.AttentionFallbacks,
            PeakCacheBytes = result.PeakCacheBytes,
            ModuleTimes = result.ModuleTimes,
        };
}
