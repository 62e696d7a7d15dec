using FastAttn.Engine.Sampling;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Attention;

/// <summary>
/// A block-scope plan for one generation (issue #19): the self-attention of every (step, layer) by the wrapped
/// <see cref="FastAttentionRunner"/>, and beside it each block's feed-forward and whole-block methods with their caches —
/// the gated feed-forward output of the last step that computed it (MLP sharing), the block's residual contribution
/// (output − input) of the last step that computed the block (block reuse) and of the one before it (forecast), and the
/// cross-attention output of the last step that computed it (cross-attention sharing, PixArt and Open-Sora), per layer.
/// Caches are written only where a later step reads them and freed at the first step that no longer does; a reuse step
/// returns the cached value itself, bit for bit. Without a block grid it only forwards to the attention runner.
/// </summary>
public sealed class BlockPlanRunner : ISelfAttentionRunner, IDisposable
{
    private readonly FastAttentionRunner _attention;
    private readonly BlockMethod[][]? _blocks;
    private readonly bool[][] _needMlp, _needBlock, _needCross;
    private readonly int[][] _blockReaders;
    private readonly Tensor?[] _mlp, _delta, _olderDelta, _cross, _pendingMlp, _pendingDelta, _pendingCross;
    private readonly int[] _deltaStep, _olderDeltaStep;
    private readonly long? _cacheCapBytes;
    private int _step;
    private int _fallbacks;
    private long _peak;

    /// <summary>Creates the runner over <paramref name="attention"/> (owned: disposed with this runner).</summary>
    /// <param name="attention">The attention runner of the same plan.</param>
    /// <param name="blocks">The block methods, [step][layer] (read live in search mode); null: attention only.</param>
    /// <param name="cacheCapBytes">Optional cap on all cache memory; a cache that would not fit is not kept (readers compute).</param>
    public BlockPlanRunner(FastAttentionRunner attention, BlockMethod[][]? blocks, long? cacheCapBytes = null)
    {
        _attention = attention ?? throw new ArgumentNullException(nameof(attention));
        _blocks = blocks;
        _cacheCapBytes = cacheCapBytes;
        int layers = blocks is { Length: > 0 } ? blocks[0].Length : 0;
        (_mlp, _delta, _olderDelta, _cross) = (new Tensor?[layers], new Tensor?[layers], new Tensor?[layers], new Tensor?[layers]);
        (_pendingMlp, _pendingDelta, _pendingCross) = (new Tensor?[layers], new Tensor?[layers], new Tensor?[layers]);
        (_deltaStep, _olderDeltaStep) = (new int[layers], new int[layers]);
        (_needMlp, _needBlock, _needCross) = BlockMethods.CacheNeeds(blocks ?? []);
        _blockReaders = BlockMethods.BlockReaders(blocks ?? []);
    }

    /// <summary>The attention runner.</summary>
    public FastAttentionRunner Attention => _attention;

    /// <summary>Steps × layers that fell back to computing (missing cache or cache cap), attention included.</summary>
    public int Fallbacks => _fallbacks + _attention.Fallbacks;

    /// <summary>Bytes currently held by all caches.</summary>
    public long CacheBytes => _attention.CacheBytes + BlockCacheBytes;

    /// <summary>Bytes currently held by the feed-forward, block and cross-attention caches.</summary>
    public long BlockCacheBytes => Bytes(_mlp) + Bytes(_delta) + Bytes(_olderDelta) + Bytes(_cross);

    /// <summary>The most bytes the caches held at once (sampled after every module call).</summary>
    public long PeakCacheBytes => Math.Max(_peak, _attention.PeakCacheBytes);

    /// <summary>What happens to cache writes during the next forward passes (the plan search's trials).</summary>
    internal CacheWriteMode WriteMode
    {
        get => _attention.WriteMode;
        set => _attention.WriteMode = value;
    }

    /// <summary>The layer whose writes are kept aside in <see cref="CacheWriteMode.PendingLayer"/> mode.</summary>
    internal int PendingLayer
    {
        get => _attention.PendingLayer;
        set => _attention.PendingLayer = value;
    }

    /// <summary>The block method of layer <paramref name="layer"/> at the current step (MLP CFG sharing removed without a CFG batch).</summary>
    public BlockMethod MethodFor(int layer)
    {
        if (_blocks is null) return BlockMethod.Full;
        var m = _blocks[_step][layer];
        return _attention.CfgBatch ? m : m.WithoutCfgShare();
    }

    /// <inheritdoc />
    public void BeginStep(int stepIndex)
    {
        _attention.BeginStep(stepIndex);
        _step = stepIndex;
        if (_blocks is null || _attention.SearchMode) return;
        for (int l = 0; l < _mlp.Length; l++)
        {
            if (_mlp[l] is not null && !BlockMethods.MlpReadFrom(_blocks, stepIndex, l)) Free(_mlp, l);
            if (_olderDelta[l] is not null && _blockReaders[_olderDeltaStep[l]][l] < stepIndex) Free(_olderDelta, l);
            if (_delta[l] is not null && _blockReaders[_deltaStep[l]][l] < stepIndex) Free(_delta, l);
            if (_cross[l] is not null && !BlockMethods.CrossReadFrom(_blocks, stepIndex, l)) Free(_cross, l);
        }
    }

    /// <inheritdoc />
    public Tensor Run(int layer, IAttentionProjections attention, Tensor x)
    {
        var output = _attention.Run(layer, attention, x);
        _peak = Math.Max(_peak, CacheBytes);
        return output;
    }

    /// <inheritdoc />
    public Tensor RunFeedForward(int layer, Func<Tensor, Tensor> feedForward, Tensor x, Tensor gate)
    {
        ArgumentNullException.ThrowIfNull(feedForward);
        var method = MethodFor(layer);
        if (method == BlockMethod.Full && _blocks is null) return gate * feedForward(x);
        if (ReusesFeedForward(layer, x.shape)) return _mlp[layer]!.alias();
        if (method.SharesMlp()) _fallbacks++;
        using var scope = NewDisposeScope();
        Tensor output;
        if (method.SharesCfg())
        {
            long half = x.shape[0] / 2;
            var conditional = _attention.Order == CfgBatchOrder.ConditionalFirst ? x.narrow(0, 0, half) : x.narrow(0, half, half);
            var shared = feedForward(conditional);                                        // (B/2, N, D)
            output = gate * cat([shared, shared], 0);                                       // (B, N, D), each half its own gate
        }
        else
        {
            output = gate * feedForward(x);                                                 // (B, N, D)
        }
        if (ShouldWrite(layer, _needMlp)) Store(_mlp, _pendingMlp, layer, output);
        return output.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public bool ReusesAttention(int layer, long[] shape) => _attention.ReusesAttention(layer, shape);

    /// <inheritdoc />
    public bool ReusesFeedForward(int layer, long[] shape) =>
        MethodFor(layer).SharesMlp() && _mlp[layer] is Tensor cached && cached.shape.SequenceEqual(shape);

    /// <inheritdoc />
    public Tensor RunBlock(int layer, Tensor h, Func<Tensor, Tensor> block)
    {
        ArgumentNullException.ThrowIfNull(h);
        ArgumentNullException.ThrowIfNull(block);
        if (_blocks is null) return block(h);
        var method = MethodFor(layer);
        if (method.SkipsBlock())
        {
            if (Skipped(layer, h, method) is Tensor skipped) return skipped;
            _fallbacks++;
        }
        using var scope = NewDisposeScope();
        var output = block(h);                                                              // (B, N, D)
        if (ShouldWrite(layer, _needBlock)) StoreDelta(layer, output - h);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A skipped block's output from its cached contributions: h + Δ₂ (reuse, or a forecast with one computed step before
    /// it) or h + Δ₂ + (Δ₂ − Δ₁)·(s − s₂)/(s₂ − s₁) (forecast); null when a contribution it needs is not cached (the cap).
    /// </summary>
    private Tensor? Skipped(int layer, Tensor h, BlockMethod method)
    {
        int recent = BlockMethods.LastComputed(_blocks!, _step, layer);
        if (recent < 0 || _delta[layer] is not Tensor delta || _deltaStep[layer] != recent || !delta.shape.SequenceEqual(h.shape))
            return null;
        int before = method == BlockMethod.Forecast ? BlockMethods.LastComputed(_blocks!, recent, layer) : -1;
        if (before < 0) return h.Plus(delta);
        if (_olderDelta[layer] is not Tensor older || _olderDeltaStep[layer] != before) return null;
        using var scope = NewDisposeScope();
        var slope = (delta - older).Times((_step - recent) / (double)(recent - before));  // (B, N, D)
        return h.Plus(delta).Plus(slope).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor RunCrossAttention(int layer, Func<Tensor, Tensor> crossAttention, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(crossAttention);
        if (_blocks is null) return crossAttention(x);
        if (MethodFor(layer).SharesCross())
        {
            if (_cross[layer] is Tensor cached && cached.shape.SequenceEqual(x.shape)) return cached.alias();
            _fallbacks++;
        }
        using var scope = NewDisposeScope();
        var output = crossAttention(x);                                                     // (B, N, D)
        if (ShouldWrite(layer, _needCross)) Store(_cross, _pendingCross, layer, output);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Makes the pending layer's writes real (the search chose the candidate that produced them).</summary>
    internal void PromotePending()
    {
        _attention.PromotePending();
        for (int l = 0; l < _mlp.Length; l++)
        {
            if (_pendingMlp[l] is Tensor m) { Free(_mlp, l); _mlp[l] = m; _pendingMlp[l] = null; }
            if (_pendingDelta[l] is Tensor d) { _pendingDelta[l] = null; PushDelta(l, d); }
            if (_pendingCross[l] is Tensor c) { Free(_cross, l); _cross[l] = c; _pendingCross[l] = null; }
        }
        _peak = Math.Max(_peak, CacheBytes);
    }

    /// <summary>Drops the pending layer's writes.</summary>
    internal void DiscardPending()
    {
        _attention.DiscardPending();
        for (int l = 0; l < _mlp.Length; l++) { Free(_pendingMlp, l); Free(_pendingDelta, l); Free(_pendingCross, l); }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int l = 0; l < _mlp.Length; l++)
        {
            Free(_pendingMlp, l); Free(_pendingDelta, l); Free(_pendingCross, l);
            Free(_mlp, l); Free(_delta, l); Free(_olderDelta, l); Free(_cross, l);
        }
        _attention.Dispose();
    }

    private bool ShouldWrite(int layer, bool[][] need) =>
        WriteMode != CacheWriteMode.Discard && (_attention.SearchMode || need[_step][layer])
        && (WriteMode == CacheWriteMode.Commit || layer == PendingLayer);

    /// <summary>
    /// A detached copy of <paramref name="value"/> to commit, or null when a search trial keeps it aside in
    /// <paramref name="pending"/> instead (<see cref="CacheWriteMode.PendingLayer"/>).
    /// </summary>
    private Tensor? Keep(Tensor?[] pending, int layer, Tensor value)
    {
        var kept = value.detach().DetachFromDisposeScope();
        if (WriteMode != CacheWriteMode.PendingLayer) return kept;
        Free(pending, layer);
        pending[layer] = kept;
        return null;
    }

    private void Store(Tensor?[] slots, Tensor?[] pending, int layer, Tensor value)
    {
        if (Keep(pending, layer, value) is not Tensor kept) return;
        Free(slots, layer);
        if (_cacheCapBytes is long cap && CacheBytes + kept.ElementSize * kept.numel() > cap)
        {
            kept.Dispose();                                                                 // readers fall back to computing
            return;
        }
        slots[layer] = kept;
        _peak = Math.Max(_peak, CacheBytes);
    }

    /// <summary>Keeps <paramref name="value"/> as the current step's block contribution (pending in a search trial).</summary>
    private void StoreDelta(int layer, Tensor value)
    {
        if (Keep(_pendingDelta, layer, value) is Tensor kept) PushDelta(layer, kept);
    }

    /// <summary>
    /// The current step's contribution becomes the most recent, the most recent the older one (a rewrite at the same step
    /// replaces it); a contribution over the cache cap is not kept (readers compute).
    /// </summary>
    private void PushDelta(int layer, Tensor kept)
    {
        if (_delta[layer] is not null && _deltaStep[layer] == _step) Free(_delta, layer);
        if (_cacheCapBytes is long cap && CacheBytes - Bytes(_olderDelta, layer) + kept.ElementSize * kept.numel() > cap)
        {
            kept.Dispose();
            return;
        }
        Free(_olderDelta, layer);
        (_olderDelta[layer], _olderDeltaStep[layer]) = (_delta[layer], _deltaStep[layer]);
        (_delta[layer], _deltaStep[layer]) = (kept, _step);
        _peak = Math.Max(_peak, CacheBytes);
    }

    private static long Bytes(Tensor?[] slots, int layer) => slots[layer] is Tensor t ? t.ElementSize * t.numel() : 0;

    private static void Free(Tensor?[] slots, int layer)
    {
        slots[layer]?.Dispose();
        slots[layer] = null;
    }

    private static long Bytes(Tensor?[] slots) => slots.Sum(t => t is null ? 0 : t.ElementSize * t.numel());
}
