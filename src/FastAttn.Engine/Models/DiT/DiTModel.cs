using System.Collections.Concurrent;
using FastAttn.Engine.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>
/// The Diffusion Transformer (reference <c>models.py</c>): patchify → + 2-D sin-cos positions → N adaLN-Zero blocks
/// conditioned on timestep and class → final layer → unpatchify. State-dict keys are the reference's.
/// Works at any input size that is a multiple of the patch size (the position table is recomputed).
/// </summary>
public sealed class DiTModel : Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly PatchEmbed x_embedder;
    private readonly TimestepEmbedder? t_embedder;
    private readonly LabelEmbedder? y_embedder;
    private readonly ModuleList<ConditionEmbedder>? block_embedders;
    private readonly Tensor pos_embed;
    private readonly ModuleList<DiTBlock> blocks;
    private readonly FinalLayer final_layer;
    private readonly DiTBlock[] _blockList;
    private readonly ConcurrentDictionary<(long Rows, long Cols), Tensor> _positionCache = new();

    /// <summary>The architecture.</summary>
    public DiTConfig Config { get; }

    /// <summary>Builds a randomly initialised model for <paramref name="config"/> (load weights afterwards).</summary>
    public DiTModel(DiTConfig config) : base(nameof(DiTModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        x_embedder = new PatchEmbed(config.InChannels, config.HiddenSize, config.PatchSize);
        if (config.PerBlockConditioning)
        {
            block_embedders = new ModuleList<ConditionEmbedder>(
                Enumerable.Range(0, config.Depth).Select(_ => new ConditionEmbedder(config)).ToArray());
        }
        else
        {
            t_embedder = new TimestepEmbedder(config.HiddenSize, config.Flavor == DiTFlavor.Diffusers ? 1 : 0);
            y_embedder = new LabelEmbedder(config.NumClasses, config.HiddenSize, config.HasNullClass);
        }
        int side = config.InputSize / config.PatchSize;
        using (var table = PositionEmbedding2D.Create(config.HiddenSize, side, side))
            pos_embed = table.unsqueeze(0).detach().clone();                               // (1, T, D)
        blocks = new ModuleList<DiTBlock>(Enumerable.Range(0, config.Depth).Select(_ => new DiTBlock(config)).ToArray());
        final_layer = new FinalLayer(config);
        _blockList = blocks.ToArray();
        RegisterComponents();
    }

    /// <summary>The transformer blocks, in order.</summary>
    public IReadOnlyList<DiTBlock> Blocks => _blockList;

    /// <summary>The label embedder used for label dropout during training (block 0's when embedders are per block).</summary>
    public LabelEmbedder LabelEmbedder => y_embedder ?? block_embedders![0].Labels;

    /// <summary>The model's device.</summary>
    public Device Device => parameters().First().device;

    /// <summary>The model's parameter dtype.</summary>
    public ScalarType DType => parameters().First().dtype;

    /// <summary>Full-attention forward: (N, C, H, W) input, (N) timesteps, (N) labels → (N, C_out, H, W).</summary>
    public override Tensor forward(Tensor x, Tensor t, Tensor y) => Forward(x, t, y, FullAttentionRunner.Instance);

    /// <summary>Forward with each block's self-attention computed by <paramref name="runner"/>.</summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor y, ISelfAttentionRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        using var state = Prepare(x, t, y);
        return state.Run(runner);                                                           // (N, C_out, H, W)
    }

    /// <summary>
    /// The first part of a forward pass, split out so that a plan search can rerun only the blocks after a layer:
    /// patch tokens with positions, and each block's conditioning.
    /// </summary>
    public DiTForwardState Prepare(Tensor x, Tensor t, Tensor y)
    {
        int p = Config.PatchSize;
        if (x.dim() != 4 || x.shape[1] != Config.InChannels || x.shape[2] % p != 0 || x.shape[3] % p != 0)
            throw new ArgumentException(
                $"DiT input must be (N, {Config.InChannels}, H, W) with H and W multiples of {p}; got [{string.Join(", ", x.shape)}].", nameof(x));
        using var scope = NewDisposeScope();
        long rows = x.shape[2] / p, cols = x.shape[3] / p;
        var tokens = x_embedder.forward(x).Plus(PositionTable(rows, cols));                    // (N, T, D)
        Tensor[] conditions;
        if (y_embedder is not null)
        {
            var c = t_embedder!.forward(t).Plus(y_embedder.forward(y));                        // (N, D), shared by all blocks
            conditions = Enumerable.Repeat(c, blocks.Count).ToArray();
        }
        else
        {
            conditions = Enumerable.Range(0, blocks.Count).Select(i => block_embedders![i].forward(t, y)).ToArray();
        }
        var state = new DiTForwardState(this, tokens, conditions, conditions[0], rows, cols);
        foreach (var tensor in conditions.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().Append(tokens))
            tensor.MoveToOuterDisposeScope();
        return state;
    }

    /// <summary>Block <paramref name="index"/> on tokens <paramref name="h"/> (N, T, D) → (N, T, D).</summary>
    public Tensor RunBlock(int index, Tensor h, DiTForwardState state, ISelfAttentionRunner runner)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(runner);
        var block = _blockList[index];
        var activated = state.Activated[index];
        return runner.RunBlock(index, h, x => block.ForwardActivated(x, activated, index, runner));
    }

    /// <summary>The final layer and unpatchify: (N, T, D) → (N, C_out, H, W).</summary>
    public Tensor Head(Tensor h, DiTForwardState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var scope = NewDisposeScope();
        var o = final_layer.ForwardActivated(h, state.FinalActivated);                     // (N, T, p²·C_out)
        return Unpatchify(o, state.Rows, state.Cols).MoveToOuterDisposeScope();            // (N, C_out, H, W)
    }

    /// <summary>(N, T, p·p·C) → (N, C, rows·p, cols·p), the reference's nhwpqc → nchpwq.</summary>
    private Tensor Unpatchify(Tensor x, long rows, long cols)
    {
        int p = Config.PatchSize, c = Config.OutChannels;
        return x.reshape(x.shape[0], rows, cols, p, p, c)                                   // (N, h, w, p, q, C)
                .permute(0, 5, 1, 3, 2, 4)                                                  // (N, C, h, p, w, q)
                .reshape(x.shape[0], c, rows * p, cols * p);                                // (N, C, H, W)
    }

    /// <summary>The position table for a rows×cols token grid: the stored one at the trained size, else recomputed.</summary>
    private Tensor PositionTable(long rows, long cols)
    {
        int side = Config.InputSize / Config.PatchSize;
        if (rows == side && cols == side) return pos_embed;
        return _positionCache.GetOrAdd((rows, cols), key =>
        {
            using var table = PositionEmbedding2D.Create(Config.HiddenSize, (int)key.Rows, (int)key.Cols,
                Config.Flavor == DiTFlavor.Diffusers ? side : null);
            return table.unsqueeze(0).to(pos_embed.dtype, pos_embed.device).DetachFromDisposeScope();
        });
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var t in _positionCache.Values) t.Dispose();
            _positionCache.Clear();
        }
        base.Dispose(disposing);
    }
}
