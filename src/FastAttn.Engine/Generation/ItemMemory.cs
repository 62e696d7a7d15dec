using static TorchSharp.torch;

namespace FastAttn.Engine.Generation;

/// <summary>
/// The estimate behind <see cref="PreparedGeneration.ItemBytes"/>: the working memory one item adds to a forward pass,
/// so that a host can cap a batch by memory. It is deliberately an upper bound, not a measurement:
/// <list type="bullet">
/// <item>rows: 2 per item with classifier-free guidance (cond and uncond), 1 without; a clip counts each frame
/// (spatial attention runs per frame);</item>
/// <item>activations of one block at a time (blocks run in turn and free their temporaries): per row
/// 11 · N · D values (hidden state, q/k/v, attention output, the 4·D MLP hidden layer, two modulated copies) plus
/// 2 · H · N² attention scores (scores and their softmax) and 2 · H · N · L cross-attention scores for L caption tokens;</item>
/// <item>DiTFastAttn caches, as if every layer kept an attention output and a window residual: 2 · layers · N · D
/// values per row (twice that for a clip, whose temporal attention may have a plan too); 0 without a plan is not assumed,
/// since the plan is chosen after the batch is formed.</item>
/// </list>
/// Values are counted at the model's weight dtype (2 bytes for fp16/bf16, 4 for fp32). Weights, the text encoder and the
/// VAE decode are shared by the batch and not counted.
/// </summary>
internal static class ItemMemory
{
    /// <summary>Estimated bytes per item per forward pass.</summary>
    /// <param name="tokens">Tokens per self-attention call (N).</param>
    /// <param name="width">Hidden width (D).</param>
    /// <param name="heads">Attention heads (H).</param>
    /// <param name="layers">Transformer blocks.</param>
    /// <param name="guided">Classifier-free guidance (two rows per item).</param>
    /// <param name="dtype">The model's weight dtype.</param>
    /// <param name="captionTokens">Caption tokens of the cross-attention (0: none).</param>
    /// <param name="frames">Frames per item (1 for images).</param>
    public static long Bytes(long tokens, long width, long heads, long layers, bool guided, ScalarType dtype, long captionTokens = 0,
        long frames = 1)
    {
        long rows = (guided ? 2 : 1) * Math.Max(1, frames);
        long activations = 11 * tokens * width + 2 * heads * tokens * tokens + 2 * heads * tokens * captionTokens;
        long caches = 2 * layers * tokens * width * (frames > 1 ? 2 : 1);
        return rows * (activations + caches) * ElementBytes(dtype);
    }

    private static long ElementBytes(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Float64 => 8,
        _ => 4,
    };
}
