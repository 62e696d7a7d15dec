using FastAttn.Engine.Attention;
using static TorchSharp.torch;

namespace FastAttn.Engine.Models.PixArt;

/// <summary>What <see cref="PixArtTransformer.Prepare"/> computes once per forward pass: tokens, modulation, caption.</summary>
public sealed class PixArtForwardState : ITransformerPass
{
    private readonly PixArtTransformer _model;

    internal PixArtForwardState(PixArtTransformer model, Tensor tokens, Tensor modulation, Tensor embedding, Tensor context,
        Tensor? captionBias, int rows, int cols)
    {
        _model = model;
        Tokens = tokens;
        Modulation = modulation;
        Embedding = embedding;
        Context = context;
        CaptionBias = captionBias;
        Rows = rows;
        Cols = cols;
    }

    /// <inheritdoc />
    public Tensor Tokens { get; }

    /// <summary>(B, 6D) the shared timestep modulation (AdaLayerNormSingle).</summary>
    public Tensor Modulation { get; }

    /// <summary>(B, D) the timestep embedding that modulates the final layer.</summary>
    public Tensor Embedding { get; }

    /// <summary>(B, S, D) the projected caption.</summary>
    public Tensor Context { get; }

    /// <summary>(B, 1, 1, S) −10000 on padded caption tokens, or null without a mask.</summary>
    public Tensor? CaptionBias { get; }

    /// <summary>The generation's cross-attention key/value cache (not owned: the pipeline disposes it), or null.</summary>
    public CrossAttentionCache? CrossCache { get; init; }

    /// <summary>Token grid rows.</summary>
    public int Rows { get; }

    /// <summary>Token grid columns.</summary>
    public int Cols { get; }

    /// <inheritdoc />
    public int Depth => _model.Config.NumLayers;

    /// <inheritdoc />
    public Tensor RunBlock(int index, Tensor h, ISelfAttentionRunner runner) => _model.RunBlock(index, h, this, runner);

    /// <inheritdoc />
    public Tensor Head(Tensor h) => _model.Head(h, this);

    /// <inheritdoc />
    public void Dispose()
    {
        Tokens.Dispose();
        Modulation.Dispose();
        Embedding.Dispose();
        Context.Dispose();
        CaptionBias?.Dispose();
    }
}
