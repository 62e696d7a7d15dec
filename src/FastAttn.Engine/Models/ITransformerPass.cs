using FastAttn.Engine.Attention;
using static TorchSharp.torch;

namespace FastAttn.Engine.Models;

/// <summary>
/// One forward pass of a diffusion transformer, prepared (embeddings and conditioning computed) and split into its
/// blocks, so that a caller can run every block with an attention runner — or, as the plan search does, rerun only the
/// blocks after a layer. Every family's transformer exposes its passes this way (video ones as <see cref="IVideoTransformerPass"/>).
/// </summary>
public interface ITransformerPass : IDisposable
{
    /// <summary>(B, N, D) input tokens of the first block.</summary>
    Tensor Tokens { get; }

    /// <summary>Number of blocks.</summary>
    int Depth { get; }

    /// <summary>
    /// Block <paramref name="index"/> on tokens <paramref name="h"/> (B, N, D) → (B, N, D), its self-attention by <paramref name="runner"/>.
    /// </summary>
    Tensor RunBlock(int index, Tensor h, ISelfAttentionRunner runner);

    /// <summary>The final layer and unpatchify: (B, N, D) → the model output (B, C_out, H, W).</summary>
    Tensor Head(Tensor h);
}

/// <summary>Running a whole <see cref="ITransformerPass"/>.</summary>
public static class TransformerPassExtensions
{
    /// <summary>Every block with <paramref name="runner"/>, then the head: the model output.</summary>
    public static Tensor Run(this ITransformerPass pass, ISelfAttentionRunner runner)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(runner);
        using var scope = NewDisposeScope();
        var h = pass.Tokens;
        for (int i = 0; i < pass.Depth; i++) h = pass.RunBlock(i, h, runner);
        return pass.Head(h).MoveToOuterDisposeScope();
    }
}
