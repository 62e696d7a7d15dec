using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.PixArt;

/// <summary>A prepared PixArt generation: plans keyed by the latent bucket generated at, searched on the shipped captions.</summary>
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

    /// <inheritdoc />
    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var noGrad = no_grad();
        var run = PipelineRequest with { Plan = plan };
        if (model.Captions is StandInCaptions captions)
            run = run with { Prompts = [], PromptEmbeddings = captions.Prompt(PipelineRequest.Count), NegativeEmbeddings = captions.Negative };
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
