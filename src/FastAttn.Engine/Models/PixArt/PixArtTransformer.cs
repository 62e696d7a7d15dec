using FastAttn.Engine.Attention;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.PixArt;

/// <summary>
/// The PixArt(-Sigma) denoising transformer, laid out as diffusers' <c>PixArtTransformer2DModel</c> so its checkpoints
/// load by name: patchify with a sin-cos position table recomputed for every grid (any size or aspect ratio, base size
/// and interpolation scale as the reference), the shared timestep modulation, the caption projection, the blocks, and
/// a final layer modulated by the timestep embedding itself (before SiLU/linear), then unpatchify.
/// </summary>
public sealed class PixArtTransformer : Module<Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    private readonly PatchEmbedding pos_embed;
    private readonly AdaLayerNormSingle adaln_single;
    private readonly CaptionProjection caption_projection;
    private readonly ModuleList<PixArtBlock> transformer_blocks;
    private readonly Parameter scale_shift_table;
    private readonly LayerNorm norm_out;
    private readonly Linear proj_out;

    /// <summary>Creates a randomly initialised model of <paramref name="config"/>.</summary>
    public PixArtTransformer(PixArtConfig config) : base(nameof(PixArtTransformer))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        int d = config.HiddenSize;
        pos_embed = new PatchEmbedding(config.InChannels, d, config.PatchSize);
        adaln_single = new AdaLayerNormSingle(d);
        caption_projection = new CaptionProjection(config.CaptionChannels, d);
        transformer_blocks = new ModuleList<PixArtBlock>(Enumerable.Range(0, config.NumLayers).Select(_ => new PixArtBlock(config)).ToArray());
        scale_shift_table = Parameter(randn(2, d).Over(Math.Sqrt(d)));
        norm_out = LayerNorm(d, eps: config.NormEps, elementwise_affine: false);
        proj_out = Linear(d, config.PatchSize * config.PatchSize * config.OutChannels, hasBias: true);
        RegisterComponents();
    }

    /// <summary>The shape.</summary>
    public PixArtConfig Config { get; }

    /// <summary>The blocks.</summary>
    public IReadOnlyList<PixArtBlock> Blocks => transformer_blocks.ToList();

    /// <summary>
    /// Latents x (B, C, H, W), timesteps t (B), caption features (B, S, caption channels) and the caption mask (B, S) of
    /// 1 (keep) / 0 (padding), or null → (B, out channels, H, W).
    /// </summary>
    public override Tensor forward(Tensor x, Tensor t, Tensor caption, Tensor? captionMask) =>
        Forward(x, t, caption, captionMask, FullAttentionRunner.Instance);

    /// <summary>
    /// The forward pass with every block's self-attention computed by <paramref name="runner"/> (DiTFastAttn; call its
    /// <c>BeginStep</c> per denoising step). PixArt's CFG batch is [uncond; cond]: give the runner
    /// <see cref="CfgBatchOrder.UnconditionalFirst"/>.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor caption, Tensor? captionMask, ISelfAttentionRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        using var pass = Prepare(x, t, caption, captionMask);
        return pass.Run(runner);
    }

    /// <summary>
    /// The first part of a forward pass, split out so that a plan search can rerun only the blocks after a layer: patch
    /// tokens with positions, the timestep modulation, the projected caption and its attention bias.
    /// </summary>
    /// <param name="x">Latents (B, C, H, W).</param>
    /// <param name="t">Timesteps (B).</param>
    /// <param name="caption">Caption features (B, S, caption channels).</param>
    /// <param name="captionMask">(B, S) 1 keep / 0 padding, or null.</param>
    /// <param name="crossCache">
    /// The generation's cross-attention key/value cache, bound to <paramref name="caption"/> (pass the same caption tensor
    /// every step); null: the keys and values are projected on every pass.
    /// </param>
    public PixArtForwardState Prepare(Tensor x, Tensor t, Tensor caption, Tensor? captionMask, CrossAttentionCache? crossCache = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(caption);
        int p = Config.PatchSize;
        if (x.dim() != 4 || x.shape[1] != Config.InChannels || x.shape[2] % p != 0 || x.shape[3] % p != 0)
            throw new ArgumentException(
                $"PixArt input must be (B, {Config.InChannels}, H, W) with H and W multiples of the patch size {p}; " +
                $"got [{string.Join(", ", x.shape)}].", nameof(x));
        if (caption.shape[^1] != Config.CaptionChannels)
            throw new ArgumentException(
                $"Caption features have {caption.shape[^1]} channels; the model takes {Config.CaptionChannels}.", nameof(caption));
        crossCache?.Bind(caption);
        using var scope = NewDisposeScope();
        int rows = (int)x.shape[2] / p, cols = (int)x.shape[3] / p;
        var dtype = proj_out.weight!.dtype;
        var table = PositionEmbedding2D.Create(Config.HiddenSize, rows, cols, Config.BaseSize, Config.InterpolationScale).to(dtype, x.device);
        var tokens = pos_embed.forward(x.to(dtype)).Plus(table.unsqueeze(0));                    // (B, N, D)
        var (modulation, embedding) = adaln_single.forward(t);                               // (B, 6D), (B, D)
        var context = caption_projection.forward(caption.to(dtype));                         // (B, S, D)
        Tensor? bias = captionMask is null ? null
            : Minus(1, captionMask.to(dtype)).Times(-10000.0).view(captionMask.shape[0], 1, 1, captionMask.shape[1]);   // (B, 1, 1, S)
        foreach (var kept in new[] { tokens, modulation, embedding, context, bias }) kept?.MoveToOuterDisposeScope();
        return new PixArtForwardState(this, tokens, modulation, embedding, context, bias, rows, cols) { CrossCache = crossCache };
    }

    /// <summary>
    /// Block <paramref name="index"/> on tokens <paramref name="h"/> (B, N, D) → (B, N, D), through the runner's block hook
    /// (block-scope plans may reuse the block's residual contribution of an earlier step).
    /// </summary>
    public Tensor RunBlock(int index, Tensor h, PixArtForwardState state, ISelfAttentionRunner runner)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(runner);
        var block = transformer_blocks[index];
        return runner.RunBlock(index, h, x => block.Forward(x, state.Modulation, state.Context, state.CaptionBias, index, runner,
            state.CrossCache));
    }

    /// <summary>The final layer (modulated by the timestep embedding) and unpatchify: (B, N, D) → (B, out channels, H, W).</summary>
    public Tensor Head(Tensor h, PixArtForwardState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var scope = NewDisposeScope();
        var shiftScale = scale_shift_table.unsqueeze(0).Plus(state.Embedding.unsqueeze(1)).chunk(2, 1);  // 2 × (B, 1, D)
        h = (norm_out.forward(h) * shiftScale[1].Plus(1)).Plus(shiftScale[0]);
        h = proj_out.forward(h);                                                              // (B, N, p·p·C)
        long b = h.shape[0];
        int p = Config.PatchSize, c = Config.OutChannels, rows = state.Rows, cols = state.Cols;
        var image = h.view(b, rows, cols, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, rows * p, cols * p);
        return image.MoveToOuterDisposeScope();
    }

    /// <summary>diffusers' <c>PatchEmbed</c> convolution (<c>proj</c>); the position table is added by the model.</summary>
    private sealed class PatchEmbedding : Module<Tensor, Tensor>
    {
        private readonly Conv2d proj;

        public PatchEmbedding(int inChannels, int dim, int patchSize) : base("PatchEmbed")
        {
            proj = Conv2d(inChannels, dim, kernel_size: patchSize, stride: patchSize);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var h = proj.forward(x);                                                   // (B, D, H/p, W/p)
            return h.flatten(2).transpose(1, 2);                                             // (B, N, D)
        }
    }
}
