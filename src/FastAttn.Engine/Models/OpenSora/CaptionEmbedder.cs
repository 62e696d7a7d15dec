using FastAttn.Engine.Models.DiT;
using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>
/// Projects T5 caption features to the model width (MLP with tanh GELU) and holds the learned null caption
/// <c>y_embedding</c> (model_max_length × caption channels) that classifier-free guidance uses as the unconditional input.
/// </summary>
public sealed class CaptionEmbedder : Module<Tensor, Tensor>
{
    private readonly Mlp y_proj;

    /// <summary>Creates the embedder.</summary>
    public CaptionEmbedder(int captionChannels, int hidden, int tokens) : base(nameof(CaptionEmbedder))
    {
        y_proj = new Mlp(captionChannels, hidden, hidden);
        register_buffer("y_embedding", randn(tokens, captionChannels).Over(Math.Sqrt(captionChannels)));
        RegisterComponents();
    }

    /// <summary>The null caption (L, K).</summary>
    public Tensor NullCaption => get_buffer("y_embedding")!;

    /// <summary>(B, L, K) → (B, L, C).</summary>
    public override Tensor forward(Tensor caption) => y_proj.forward(caption);
}
