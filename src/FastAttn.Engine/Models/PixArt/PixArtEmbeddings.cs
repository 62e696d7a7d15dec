using FastAttn.Engine.Models.DiT;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.PixArt;

/// <summary>
/// diffusers' <c>AdaLayerNormSingle</c>: the timestep embedding (sinusoidal 256, cos first, no frequency shift →
/// <c>emb.timestep_embedder.linear_1</c>, SiLU, <c>linear_2</c>) and the six block modulations from it
/// (<c>linear</c> after SiLU: D → 6D), shared by all blocks.
/// </summary>
public sealed class AdaLayerNormSingle : Module<Tensor, (Tensor Modulation, Tensor Embedding)>
{
    private readonly TimestepEmbedding emb;
    private readonly Linear linear;

    /// <summary>Creates the module for width <paramref name="dim"/>.</summary>
    public AdaLayerNormSingle(int dim) : base(nameof(AdaLayerNormSingle))
    {
        emb = new TimestepEmbedding(dim);
        linear = Linear(dim, 6 * dim, hasBias: true);
        RegisterComponents();
    }

    /// <summary>(B) timesteps → modulation (B, 6D) and the timestep embedding (B, D) the final layer uses.</summary>
    public override (Tensor Modulation, Tensor Embedding) forward(Tensor t)
    {
        using var scope = NewDisposeScope();
        var embedding = emb.forward(t);                                                     // (B, D)
        var modulation = linear.forward(functional.silu(embedding));                        // (B, 6D)
        return (modulation.MoveToOuterDisposeScope(), embedding.MoveToOuterDisposeScope());
    }

    /// <summary><c>PixArtAlphaCombinedTimestepSizeEmbeddings</c> without micro-conditions: <c>timestep_embedder</c> only.</summary>
    private sealed class TimestepEmbedding : Module<Tensor, Tensor>
    {
        private readonly Mlp timestep_embedder;

        public TimestepEmbedding(int dim) : base(nameof(TimestepEmbedding))
        {
            timestep_embedder = new Mlp(TimestepEmbedder.FrequencyEmbeddingSize, dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor t)
        {
            using var freq = TimestepEmbedder.FrequencyEmbedding(t, TimestepEmbedder.FrequencyEmbeddingSize);   // (B, 256) [cos, sin]
            using var typed = freq.to(timestep_embedder.DType);
            return timestep_embedder.forward(typed);
        }
    }

    /// <summary>diffusers' <c>TimestepEmbedding</c>: <c>linear_1</c>, SiLU, <c>linear_2</c>.</summary>
    private sealed class Mlp : Module<Tensor, Tensor>
    {
        private readonly Linear linear_1;
        private readonly Linear linear_2;

        public Mlp(int dimIn, int dim) : base("TimestepEmbedding")
        {
            linear_1 = Linear(dimIn, dim, hasBias: true);
            linear_2 = Linear(dim, dim, hasBias: true);
            RegisterComponents();
        }

        public ScalarType DType => linear_1.weight!.dtype;

        public override Tensor forward(Tensor x)
        {
            using var h = linear_1.forward(x);
            using var a = functional.silu(h);
            return linear_2.forward(a);
        }
    }
}

/// <summary>
/// diffusers' <c>PixArtAlphaTextProjection</c>: caption features (T5) → model width through <c>linear_1</c>, GELU(tanh),
/// <c>linear_2</c>. Also holds the checkpoint's <c>y_embedding</c> buffer (a learned null caption, unused by PixArt-Sigma's
/// pipeline, which encodes the negative prompt instead).
/// </summary>
public sealed class CaptionProjection : Module<Tensor, Tensor>
{
    private readonly Linear linear_1;
    private readonly Linear linear_2;

    /// <summary>Creates the projection.</summary>
    public CaptionProjection(int captionChannels, int dim, int nullTokens = 120) : base(nameof(CaptionProjection))
    {
        linear_1 = Linear(captionChannels, dim, hasBias: true);
        linear_2 = Linear(dim, dim, hasBias: true);
        register_buffer("y_embedding", zeros(nullTokens, captionChannels));
        RegisterComponents();
    }

    /// <summary>(B, S, C) → (B, S, D).</summary>
    public override Tensor forward(Tensor caption)
    {
        using var h = linear_1.forward(caption);
        using var a = functional.gelu(h, TorchSharp.Modules.GELU.Approximate.tanh);
        return linear_2.forward(a);
    }
}
