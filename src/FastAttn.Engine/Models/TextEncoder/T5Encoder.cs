using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.TextEncoder;

/// <summary>
/// The T5-v1.1 encoder (Hugging Face <c>T5EncoderModel</c> layout, so checkpoints load by name): token embedding,
/// blocks of [RMS norm → self-attention (no scaling) with the relative-position bias of block 0 shared by all
/// blocks] and [RMS norm → gated-GELU(tanh) feed-forward], each residual, then a final RMS norm. Norms and softmax run
/// in fp32 whatever the weight dtype.
/// </summary>
public sealed class T5Encoder : Module<Tensor, Tensor?, Tensor>
{
    private readonly Embedding shared;
    private readonly T5Stack encoder;

    /// <summary>Creates a randomly initialised encoder.</summary>
    public T5Encoder(T5Config config) : base(nameof(T5Encoder))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        shared = Embedding(config.VocabSize, config.DModel);
        encoder = new T5Stack(config);
        RegisterComponents();
    }

    /// <summary>The shape.</summary>
    public T5Config Config { get; }

    /// <summary>
    /// Compute every layer in fp32 whatever the weight dtype (default): bf16/fp16 weights are upcast one matrix at a time
    /// as they are used, so an XXL encoder keeps half the memory of fp32 weights with fp32 arithmetic. False computes in
    /// the weight dtype (GPUs), norms and softmax still in fp32.
    /// </summary>
    public bool ComputeInFloat32 { get; set; } = true;

    /// <summary>Token ids (B, S) and mask (B, S) of 1 keep / 0 pad, or null → last hidden state (B, S, d_model), padded rows included.</summary>
    public override Tensor forward(Tensor inputIds, Tensor? attentionMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        using var scope = NewDisposeScope();
        var h = shared.forward(inputIds);                                                    // (B, S, D)
        if (ComputeInFloat32) h = h.to(ScalarType.Float32);                                  // later layers follow the activations' dtype
        return encoder.forward(h, attentionMask).MoveToOuterDisposeScope();
    }

    /// <summary>A bias-free linear layer in the activations' dtype (the weight upcast for this call when it differs).</summary>
    private static Tensor Apply(Linear layer, Tensor x)
    {
        var weight = layer.weight!;
        if (weight.dtype == x.dtype) return layer.forward(x);
        using var cast = weight.to(x.dtype);
        return functional.linear(x, cast);
    }

    /// <summary>The encoder stack: <c>encoder.block.N</c> and <c>encoder.final_layer_norm</c>.</summary>
    private sealed class T5Stack : Module<Tensor, Tensor?, Tensor>
    {
        private readonly ModuleList<T5Block> block;
        private readonly RmsNorm final_layer_norm;
        private readonly T5Config _config;

        public T5Stack(T5Config config) : base(nameof(T5Stack))
        {
            _config = config;
            block = new ModuleList<T5Block>(
                Enumerable.Range(0, config.NumLayers).Select(i => new T5Block(config, hasRelativeBias: i == 0)).ToArray());
            final_layer_norm = new RmsNorm(config.DModel, config.LayerNormEpsilon);
            RegisterComponents();
        }

        public override Tensor forward(Tensor h, Tensor? mask)
        {
            using var scope = NewDisposeScope();
            long s = h.shape[1];
            var positions = Arange(s, ScalarType.Int64, h.device);
            var relative = positions.unsqueeze(0) - positions.unsqueeze(1);                  // (S, S) key − query
            var buckets = T5RelativePosition.Buckets(relative, _config.RelativeAttentionNumBuckets, _config.RelativeAttentionMaxDistance);
            var bias = block[0].RelativeBias(buckets);                                        // (1, H, S, S) fp32
            if (mask is not null)
                bias = bias.Plus(Minus(1, mask.to(ScalarType.Float32)).Times(float.MinValue).view(mask.shape[0], 1, 1, s));
            foreach (var b in block) h = b.forward(h, bias);
            return final_layer_norm.forward(h).MoveToOuterDisposeScope();
        }
    }

    /// <summary><c>layer.0</c> (self-attention) and <c>layer.1</c> (feed-forward).</summary>
    private sealed class T5Block : Module<Tensor, Tensor, Tensor>
    {
        private readonly ModuleList<Module> layer;

        public T5Block(T5Config config, bool hasRelativeBias) : base(nameof(T5Block))
        {
            layer = new ModuleList<Module>(new T5LayerSelfAttention(config, hasRelativeBias), new T5LayerFF(config));
            RegisterComponents();
        }

        public Tensor RelativeBias(Tensor buckets) => ((T5LayerSelfAttention)layer[0]).RelativeBias(buckets);

        public override Tensor forward(Tensor h, Tensor bias)
        {
            using var scope = NewDisposeScope();
            h = ((T5LayerSelfAttention)layer[0]).forward(h, bias);
            h = ((T5LayerFF)layer[1]).forward(h);
            return h.MoveToOuterDisposeScope();
        }
    }

    private sealed class T5LayerSelfAttention : Module<Tensor, Tensor, Tensor>
    {
        private readonly T5Attention SelfAttention;
        private readonly RmsNorm layer_norm;

        public T5LayerSelfAttention(T5Config config, bool hasRelativeBias) : base(nameof(T5LayerSelfAttention))
        {
            SelfAttention = new T5Attention(config, hasRelativeBias);
            layer_norm = new RmsNorm(config.DModel, config.LayerNormEpsilon);
            RegisterComponents();
        }

        public Tensor RelativeBias(Tensor buckets) => SelfAttention.RelativeBias(buckets);

        public override Tensor forward(Tensor h, Tensor bias)
        {
            using var normed = layer_norm.forward(h);
            using var attended = SelfAttention.forward(normed, bias);
            return h.Plus(attended);
        }
    }

    private sealed class T5Attention : Module<Tensor, Tensor, Tensor>
    {
        private readonly Linear q, k, v, o;
        private readonly Embedding? relative_attention_bias;
        private readonly int _heads, _dkv;

        public T5Attention(T5Config config, bool hasRelativeBias) : base(nameof(T5Attention))
        {
            _heads = config.NumHeads;
            _dkv = config.DKv;
            int inner = config.NumHeads * config.DKv;
            q = Linear(config.DModel, inner, hasBias: false);
            k = Linear(config.DModel, inner, hasBias: false);
            v = Linear(config.DModel, inner, hasBias: false);
            o = Linear(inner, config.DModel, hasBias: false);
            if (hasRelativeBias) relative_attention_bias = Embedding(config.RelativeAttentionNumBuckets, config.NumHeads);
            RegisterComponents();
        }

        /// <summary>(S, S) buckets → (1, H, S, S) fp32 bias.</summary>
        public Tensor RelativeBias(Tensor buckets)
        {
            if (relative_attention_bias is null) throw new InvalidOperationException("Only the first T5 block holds the relative-position bias.");
            using var values = relative_attention_bias.forward(buckets);                     // (S, S, H)
            return values.permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32);
        }

        public override Tensor forward(Tensor x, Tensor bias)
        {
            using var scope = NewDisposeScope();
            long b = x.shape[0], s = x.shape[1];
            Tensor Heads(Tensor t) => t.view(b, s, _heads, _dkv).transpose(1, 2);             // (B, H, S, d)
            var (qh, kh, vh) = (Heads(Apply(q, x)), Heads(Apply(k, x)), Heads(Apply(v, x)));
            var scores = matmul(qh, kh.transpose(2, 3)).to(ScalarType.Float32).Plus(bias);        // unscaled, as T5
            var weights = functional.softmax(scores, -1).to(vh.dtype);
            var merged = matmul(weights, vh).transpose(1, 2).reshape(b, s, _heads * _dkv);
            return Apply(o, merged).MoveToOuterDisposeScope();
        }
    }

    private sealed class T5LayerFF : Module<Tensor, Tensor>
    {
        private readonly T5DenseGatedActDense DenseReluDense;
        private readonly RmsNorm layer_norm;

        public T5LayerFF(T5Config config) : base(nameof(T5LayerFF))
        {
            DenseReluDense = new T5DenseGatedActDense(config);
            layer_norm = new RmsNorm(config.DModel, config.LayerNormEpsilon);
            RegisterComponents();
        }

        public override Tensor forward(Tensor h)
        {
            using var normed = layer_norm.forward(h);
            using var ff = DenseReluDense.forward(normed);
            return h.Plus(ff);
        }
    }

    /// <summary>gelu_new(wi_0 x) · wi_1 x → wo.</summary>
    private sealed class T5DenseGatedActDense : Module<Tensor, Tensor>
    {
        private readonly Linear wi_0, wi_1, wo;

        public T5DenseGatedActDense(T5Config config) : base(nameof(T5DenseGatedActDense))
        {
            wi_0 = Linear(config.DModel, config.DFf, hasBias: false);
            wi_1 = Linear(config.DModel, config.DFf, hasBias: false);
            wo = Linear(config.DFf, config.DModel, hasBias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var gated = functional.gelu(Apply(wi_0, x), TorchSharp.Modules.GELU.Approximate.tanh) * Apply(wi_1, x);
            return Apply(wo, gated).MoveToOuterDisposeScope();
        }
    }
}
