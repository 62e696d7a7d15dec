using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.OpenSora;

/// <summary>A prepared Open-Sora generation: plans keyed by the latent clip, on the spatial or temporal self-attention.</summary>
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
                CaptionTokens: config.ModelMaxLength) { Heads = config.NumHeads };
        }
    }

    /// <inheritdoc />
    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var noGrad = no_grad();
        var run = PipelineRequest with { Plan = plan };
        if (model.Captions is StandInCaptions captions) run = run with { Prompts = [], PromptEmbeddings = captions.Prompt(PipelineRequest.Count) };
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
