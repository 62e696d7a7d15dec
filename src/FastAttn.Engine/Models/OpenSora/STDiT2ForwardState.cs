using FastAttn.Engine.Attention;
using static TorchSharp.torch;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>What <see cref="STDiT2Transformer.Prepare"/> computes once per forward pass: tokens, modulations, caption.</summary>
public sealed class STDiT2ForwardState : IVideoTransformerPass
{
    private readonly STDiT2Transformer _model;

    internal STDiT2ForwardState(STDiT2Transformer model, Tensor tokens, Tensor spatial, Tensor temporal, Tensor timestep, Tensor context,
        Tensor? keyBias, (int T, int H, int W) grid, (long T, long H, long W) latent)
    {
        _model = model;
        Tokens = tokens;
        Spatial = spatial;
        Temporal = temporal;
        Timestep = timestep;
        Context = context;
        KeyBias = keyBias;
        Grid = grid;
        Latent = latent;
    }

    /// <inheritdoc />
    public Tensor Tokens { get; }

    /// <summary>(B, 6C) spatial-branch modulation (timestep + size and aspect ratio).</summary>
    public Tensor Spatial { get; }

    /// <summary>(B, 3C) temporal-branch modulation (timestep + frames and fps).</summary>
    public Tensor Temporal { get; }

    /// <summary>(B, C) the plain timestep embedding (the final layer's conditioning).</summary>
    public Tensor Timestep { get; }

    /// <summary>(B, L, C) projected caption.</summary>
    public Tensor Context { get; }

    /// <summary>(B, 1, 1, L) 0 for kept caption tokens, −∞ for the rest; null when all are kept.</summary>
    public Tensor? KeyBias { get; }

    /// <summary>The generation's cross-attention key/value cache (not owned: the pipeline disposes it), or null.</summary>
    public CrossAttentionCache? CrossCache { get; init; }

    /// <summary>Patch grid (frames, rows, columns).</summary>
    public (int T, int H, int W) Grid { get; }

    /// <summary>Latent size before padding to the patch grid.</summary>
    public (long T, long H, long W) Latent { get; }

    /// <inheritdoc />
    public int Depth => _model.Config.Depth;

    /// <inheritdoc />
    public Tensor RunBlock(int index, Tensor h, ISelfAttentionRunner runner) => _model.RunBlock(index, h, this, runner);

    /// <inheritdoc />
    public ITransformerPass Targeting(VideoAttention target, ISelfAttentionRunner other) => new TargetedPass(this, target, other);

    /// <inheritdoc />
    public Tensor Head(Tensor h) => _model.Head(h, this);

    /// <inheritdoc />
    public void Dispose()
    {
        Tokens.Dispose();
        Spatial.Dispose();
        Temporal.Dispose();
        Timestep.Dispose();
        Context.Dispose();
        KeyBias?.Dispose();
    }

    /// <summary>The pass with its runner on one self-attention and another runner on the other.</summary>
    private sealed class TargetedPass(STDiT2ForwardState state, VideoAttention target, ISelfAttentionRunner other) : ITransformerPass
    {
        public Tensor Tokens => state.Tokens;

        public int Depth => state.Depth;

        public Tensor RunBlock(int index, Tensor h, ISelfAttentionRunner runner) => target == VideoAttention.Spatial
            ? state._model.RunBlock(index, h, state, runner, other)
            : state._model.RunBlock(index, h, state, other, runner);

        public Tensor Head(Tensor h) => state.Head(h);

        public void Dispose()
        {
        }
    }
}
