using FastAttn.Engine.Attention;
using FastAttn.Engine.Models.DiT;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>
/// Open-Sora v1.1's STDiT2 video transformer, laid out as the reference so its checkpoints load by name: 3-D patch
/// embedding with a 2-D sin-cos table per frame (scaled to the clip's size), timestep embedding conditioned on size and
/// aspect ratio (spatial branch) and on frame count and fps (temporal branch), T5 caption projection with a learned
/// null caption, the blocks, and the T2I final layer; (B, C, T, H, W) latents in, (B, C_out, T, H, W) out.
/// </summary>
public sealed class STDiT2Transformer : Module<Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    private readonly PatchEmbed3D x_embedder;
    private readonly TimestepEmbedder t_embedder;
    private readonly Sequential t_block;
    private readonly Sequential t_block_temp;
    private readonly CaptionEmbedder y_embedder;
    private readonly RotaryEmbedding rope;
    private readonly ModuleList<STDiT2Block> blocks;
    private readonly FinalLayer final_layer;
    private readonly TimestepEmbedder csize_embedder;
    private readonly TimestepEmbedder ar_embedder;
    private readonly TimestepEmbedder fl_embedder;
    private readonly TimestepEmbedder fps_embedder;

    /// <summary>Creates a randomly initialised model of <paramref name="config"/>.</summary>
    public STDiT2Transformer(STDiT2Config config) : base(nameof(STDiT2Transformer))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        config.Validate("STDiT2 config");
        int c = config.HiddenSize;
        x_embedder = new PatchEmbed3D(config);
        t_embedder = new TimestepEmbedder(c);
        t_block = Sequential(SiLU(), Linear(c, 6 * c));
        t_block_temp = Sequential(SiLU(), Linear(c, 3 * c));
        y_embedder = new CaptionEmbedder(config.CaptionChannels, c, config.ModelMaxLength);
        rope = new RotaryEmbedding(config.HeadDim);
        blocks = new ModuleList<STDiT2Block>(Enumerable.Range(0, config.Depth).Select(_ => new STDiT2Block(config, rope)).ToArray());
        final_layer = new FinalLayer(config);
        csize_embedder = new TimestepEmbedder(c / 3);
        ar_embedder = new TimestepEmbedder(c / 3);
        fl_embedder = new TimestepEmbedder(c);
        fps_embedder = new TimestepEmbedder(c);
        RegisterComponents();
    }

    /// <summary>The shape.</summary>
    public STDiT2Config Config { get; }

    /// <summary>The learned null caption (L, K) used as the unconditional input of guidance.</summary>
    public Tensor NullCaption => y_embedder.NullCaption;

    /// <summary>The blocks.</summary>
    public IReadOnlyList<STDiT2Block> Blocks => blocks.ToList();

    /// <summary>Full-attention forward without micro-conditions; prefer <see cref="Forward"/>.</summary>
    public override Tensor forward(Tensor x, Tensor t, Tensor caption, Tensor? mask) =>
        throw new NotSupportedException("STDiT2 needs the clip's size, frames and fps: call Forward(x, t, caption, mask, conditions, runner).");

    /// <summary>
    /// Latents x (B, C, T, H, W), timesteps t (B), caption features (B, L, K) (or (B, 1, L, K)), the caption mask (B, L)
    /// of 1 (keep) / 0 (padding) or null, the clip's <paramref name="conditions"/> → (B, C_out, T, H, W), each block's
    /// spatial self-attention computed by <paramref name="runner"/> (DiTFastAttn; CFG batch [cond; uncond]).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor caption, Tensor? mask, VideoConditions conditions, ISelfAttentionRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        using var pass = Prepare(x, t, caption, mask, conditions);
        return pass.Run(runner);
    }

    /// <summary>The first part of a forward pass (tokens, modulations, caption), split out for the plan search.</summary>
    /// <param name="x">Latents (B, C, T, H, W).</param>
    /// <param name="t">Timesteps (B).</param>
    /// <param name="caption">Caption features (B, L, K) or (B, 1, L, K).</param>
    /// <param name="mask">(B, L) 1 keep / 0 padding, or null.</param>
    /// <param name="conditions">The clip's size, frames and fps.</param>
    /// <param name="crossCache">
    /// The generation's cross-attention key/value cache, bound to <paramref name="caption"/> (pass the same caption tensor
    /// every step); null: the keys and values are projected on every pass.
    /// </param>
    public STDiT2ForwardState Prepare(Tensor x, Tensor t, Tensor caption, Tensor? mask, VideoConditions conditions,
        CrossAttentionCache? crossCache = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(caption);
        ArgumentNullException.ThrowIfNull(conditions);
        crossCache?.Bind(caption);
        if (x.dim() != 5 || x.shape[1] != Config.InChannels)
            throw new ArgumentException($"STDiT2 input must be (B, {Config.InChannels}, T, H, W); got [{string.Join(", ", x.shape)}].", nameof(x));
        if (caption.dim() == 4) caption = caption.squeeze(1);
        if (caption.dim() != 3 || caption.shape[0] != x.shape[0] || caption.shape[2] != Config.CaptionChannels)
            throw new ArgumentException(
                $"Caption features must be (B, L, {Config.CaptionChannels}) with B = {x.shape[0]}; got [{string.Join(", ", caption.shape)}].",
                nameof(caption));
        if (mask is not null && (mask.shape[0] != x.shape[0] || mask.shape[1] != caption.shape[1]))
            throw new ArgumentException(
                $"The caption mask must be (B, L) = ({x.shape[0]}, {caption.shape[1]}); got [{string.Join(", ", mask.shape)}].", nameof(mask));
        using var scope = NewDisposeScope();
        var dtype = t_block.parameters().First().dtype;
        var device = x.device;
        long b = x.shape[0];
        int c = Config.HiddenSize;

        var sizes = tensor(new[] { (float)conditions.Height, (float)conditions.Width }, device: device);
        var hw = Embed(csize_embedder, sizes, b);                                               // (B, 2C/3): [height | width]
        var ar = Embed(ar_embedder, tensor(new[] { (float)conditions.AspectRatio }, device: device), b);   // (B, C/3)
        var dataInfo = cat([hw, ar], 1);                                                        // (B, C)
        var fl = Embed(fl_embedder, tensor(new[] { (float)conditions.Frames }, device: device), b)
               .Plus(Embed(fps_embedder, tensor(new[] { (float)conditions.Fps }, device: device), b));   // (B, C)

        var (tokens, grid, latent) = x_embedder.Embed(x.to(dtype));                            // (B, N, C)
        int s = grid.H * grid.W;
        double scale = Math.Sqrt(conditions.Height * conditions.Width) / Config.InputSqSize;
        // (S, C)
        var table = PositionEmbedding2D.Create(c, grid.H, grid.W, Math.Round(Math.Sqrt(s), MidpointRounding.ToEven), scale).to(dtype, device);
        tokens = tokens.view(b, grid.T, s, c).Plus(table).view(b, (long)grid.T * s, c);

        var te = t_embedder.forward(t);                                                        // (B, C)
        var spatial = t_block.forward(te.Plus(dataInfo));                                          // (B, 6C)
        var temporal = t_block_temp.forward(te.Plus(fl));                                          // (B, 3C)
        var context = y_embedder.forward(caption.to(dtype));                                   // (B, L, C)
        Tensor? bias = mask is null ? null
            : zeros(mask.shape, dtype, device).masked_fill(mask.eq(Of(0)), Of(double.NegativeInfinity)).view(b, 1, 1, mask.shape[1]);
        foreach (var kept in new[] { tokens, spatial, temporal, te, context, bias }) kept?.MoveToOuterDisposeScope();
        return new STDiT2ForwardState(this, tokens, spatial, temporal, te, context, bias, grid, latent) { CrossCache = crossCache };
    }

    /// <summary>
    /// Block <paramref name="index"/> on tokens <paramref name="h"/> (B, N, C): <paramref name="spatial"/> computes its
    /// spatial self-attention, <paramref name="temporal"/> (full attention when null) its temporal one. The spatial runner
    /// also hosts the block-scope hooks (the feed-forward and the whole block).
    /// </summary>
    public Tensor RunBlock(int index, Tensor h, STDiT2ForwardState state, ISelfAttentionRunner spatial,
        ISelfAttentionRunner? temporal = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(spatial);
        var block = blocks[index];
        return spatial.RunBlock(index, h, x => block.Forward(x, state.Spatial, state.Temporal, state.Context, state.KeyBias, state.Grid.T,
            index, spatial, temporal ?? FullAttentionRunner.Instance, state.CrossCache));
    }

    /// <summary>The final layer, unpatchify and crop of the padding: (B, N, C) → (B, C_out, T, H, W) in fp32.</summary>
    public Tensor Head(Tensor h, STDiT2ForwardState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var scope = NewDisposeScope();
        var o = final_layer.forward(h, state.Timestep);                                        // (B, N, pt·ph·pw·C_out)
        var (t, gh, gw) = state.Grid;
        int pt = Config.PatchT, ph = Config.PatchH, pw = Config.PatchW, co = Config.OutChannels;
        long b = h.shape[0];
        var video = o.reshape(b, t, gh, gw, pt, ph, pw, co).permute(0, 7, 1, 4, 2, 5, 3, 6).reshape(b, co, t * pt, gh * ph, gw * pw);
        var (lt, lh, lw) = state.Latent;
        video = video[.., .., ..(int)lt, ..(int)lh, ..(int)lw];
        return video.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The reference's SizeEmbedder: each scalar of <paramref name="values"/> through the timestep embedding, concatenated, repeated for the batch.
    /// </summary>
    private static Tensor Embed(TimestepEmbedder embedder, Tensor values, long batch)
    {
        using var scope = NewDisposeScope();
        var e = embedder.forward(values).reshape(1, -1);                                        // (1, d·out)
        return e.expand(batch, -1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>3-D patch embedding (<c>proj</c>, a Conv3d with kernel = stride = patch) after zero-padding to whole patches.</summary>
    private sealed class PatchEmbed3D : Module<Tensor, Tensor>
    {
        private readonly Conv3d proj;
        private readonly (int T, int H, int W) _patch;

        public PatchEmbed3D(STDiT2Config config) : base("PatchEmbed3D")
        {
            _patch = (config.PatchT, config.PatchH, config.PatchW);
            proj = Conv3d(config.InChannels, config.HiddenSize, (config.PatchT, config.PatchH, config.PatchW),
                stride: (config.PatchT, config.PatchH, config.PatchW));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Embed(x).Tokens;

        public (Tensor Tokens, (int T, int H, int W) Grid, (long T, long H, long W) Latent) Embed(Tensor x)
        {
            using var scope = NewDisposeScope();
            long t = x.shape[2], h = x.shape[3], w = x.shape[4];
            long padT = (_patch.T - t % _patch.T) % _patch.T, padH = (_patch.H - h % _patch.H) % _patch.H,
                padW = (_patch.W - w % _patch.W) % _patch.W;
            if (padT + padH + padW > 0) x = functional.pad(x, [0, padW, 0, padH, 0, padT]);
            var y = proj.forward(x);                                                            // (B, C, T', H', W')
            var grid = ((int)y.shape[2], (int)y.shape[3], (int)y.shape[4]);
            return (y.flatten(2).transpose(1, 2).MoveToOuterDisposeScope(), grid, (t, h, w));
        }
    }

    /// <summary>T2IFinalLayer: LayerNorm, shift/scale from <c>scale_shift_table</c> + the timestep embedding, linear.</summary>
    private sealed class FinalLayer : Module<Tensor, Tensor, Tensor>
    {
        private readonly LayerNorm norm_final;
        private readonly Linear linear;
        private readonly Parameter scale_shift_table;

        public FinalLayer(STDiT2Config config) : base("T2IFinalLayer")
        {
            int c = config.HiddenSize;
            norm_final = LayerNorm(c, eps: 1e-6, elementwise_affine: false);
            linear = Linear(c, config.PatchT * config.PatchH * config.PatchW * config.OutChannels, hasBias: true);
            scale_shift_table = Parameter(randn(2, c).Over(Math.Sqrt(c)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x, Tensor t)
        {
            using var scope = NewDisposeScope();
            var ss = scale_shift_table.unsqueeze(0).Plus(t.unsqueeze(1)).chunk(2, 1);            // shift, scale: (B, 1, C)
            return linear.forward((norm_final.forward(x) * ss[1].Plus(1)).Plus(ss[0])).MoveToOuterDisposeScope();
        }
    }
}
