using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Text-encoder output given to a text-to-image pipeline instead of prompts (diffusers' <c>prompt_embeds</c> and
/// <c>prompt_attention_mask</c>): encode elsewhere, or reuse embeddings across generations. The caller owns the tensors.
/// </summary>
/// <param name="Features">(B, L, C) caption features, C = the transformer's caption channels.</param>
/// <param name="Mask">(B, L) 1 for kept tokens, 0 for padding.</param>
public sealed record CaptionEmbeddings(Tensor Features, Tensor Mask)
{
    /// <summary>Captions in the batch.</summary>
    public long Count => Features.shape[0];

    /// <summary>Throws a clear error unless the shapes fit a transformer with <paramref name="channels"/> caption channels.</summary>
    internal void Check(int channels, string name)
    {
        if (Features.dim() != 3 || Features.shape[2] != channels)
            throw new ArgumentException($"{name} features must be (B, L, {channels}); got [{string.Join(", ", Features.shape)}].", name);
        if (Mask.dim() != 2 || Mask.shape[0] != Features.shape[0] || Mask.shape[1] != Features.shape[1])
        {
            throw new ArgumentException(
                $"{name} mask must be (B, L) = ({Features.shape[0]}, {Features.shape[1]}); got [{string.Join(", ", Mask.shape)}].", name);
        }
    }
}
