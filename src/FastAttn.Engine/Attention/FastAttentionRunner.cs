using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Attention.Windows;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Attention;

/// <summary>
/// DiTFastAttn for one generation (paper §3; the reference's FastAttnProcessor): computes each layer's self-attention
/// with the method its plan gives for the current step, and holds that generation's caches — each layer's last
/// computed attention output (for AST) and its window residual R = full − window (for WA-RS), one per CFG half.
/// Caches are written only where a later step reads them; dispose the runner to free them. Windows run on the
/// implementation <see cref="WindowKernelChoice"/> picks per sequence length (prepared once, held until disposal).
/// </summary>
public sealed class FastAttentionRunner : ISelfAttentionRunner, IDisposable
{
    private readonly AttentionMethod[][] _methods;
    private readonly bool[][] _needResidual;
    private readonly bool[][] _needOutput;
    private readonly Func<int, WindowSpec> _window;
    private readonly Tensor?[] _output, _residual, _pendingOutput, _pendingResidual;
    private readonly long? _cacheCapBytes;
    private readonly IAttentionCostModel? _costModel;
    private readonly Dictionary<int, IWindowKernel> _kernels = [];
    private int _step;

    /// <summary>Creates the runner.</summary>
    /// <param name="methods">The plan, [step][layer].</param>
    /// <param name="window">The window for a sequence of N tokens.</param>
    /// <param name="cfgBatch">Whether forward passes carry a CFG batch (both halves); without one, ASC does not apply.</param>
    /// <param name="order">Order of the CFG halves.</param>
    /// <param name="cacheCapBytes">Optional cap on cache memory; steps whose cache would not fit fall back to full attention.</param>
    /// <param name="costModel">The device's cost model, which picks the window implementation (null: the built-in choice).</param>
    public FastAttentionRunner(AttentionMethod[][] methods, Func<int, WindowSpec> window, bool cfgBatch, CfgBatchOrder order,
        long? cacheCapBytes = null, IAttentionCostModel? costModel = null)
        : this(methods, window, cfgBatch, order, searchMode: false, cacheCapBytes, costModel)
    {
    }

    /// <summary>Creates the runner; in <paramref name="searchMode"/> (the plan search) <paramref name="methods"/> is read live.</summary>
    /// <param name="methods">The plan, [step][layer]; read live, so a search may change it between forward passes.</param>
    /// <param name="window">The window for a sequence of N tokens.</param>
    /// <param name="cfgBatch">Whether forward passes carry a CFG batch.</param>
    /// <param name="order">Order of the CFG halves.</param>
    /// <param name="searchMode">Compute residuals at every full step and cache every output (the plan is not final yet).</param>
    /// <param name="cacheCapBytes">Optional cap on cache memory.</param>
    /// <param name="costModel">The device's cost model, which picks the window implementation (null: the built-in choice).</param>
    internal FastAttentionRunner(AttentionMethod[][] methods, Func<int, WindowSpec> window, bool cfgBatch, CfgBatchOrder order, bool searchMode,
        long? cacheCapBytes, IAttentionCostModel? costModel = null)
    {
        _methods = methods ?? throw new ArgumentNullException(nameof(methods));
        _window = window ?? throw new ArgumentNullException(nameof(window));
        CfgBatch = cfgBatch;
        Order = order;
        SearchMode = searchMode;
        _cacheCapBytes = cacheCapBytes;
        _costModel = costModel;
        int layers = methods.Length == 0 ? 0 : methods[0].Length;
        _output = new Tensor?[layers];
        _residual = new Tensor?[layers];
        _pendingOutput = new Tensor?[layers];
        _pendingResidual = new Tensor?[layers];
        (_needResidual, _needOutput) = CacheNeeds(methods, cfgBatch);
    }

    /// <summary>Whether forward passes carry a CFG batch.</summary>
    public bool CfgBatch { get; }

    /// <summary>Order of the CFG halves.</summary>
    public CfgBatchOrder Order { get; }

    /// <summary>Whether residuals and outputs are cached at every step (plan search).</summary>
    internal bool SearchMode { get; }

    /// <summary>What happens to cache writes during the next forward passes (the plan search's trials).</summary>
    internal CacheWriteMode WriteMode { get; set; } = CacheWriteMode.Commit;

    /// <summary>The layer whose writes are kept aside in <see cref="CacheWriteMode.PendingLayer"/> mode.</summary>
    internal int PendingLayer { get; set; } = -1;

    /// <summary>Steps × layers that fell back to full attention (missing cache or cache cap).</summary>
    public int Fallbacks { get; private set; }

    /// <summary>The window implementation prepared for each sequence length so far.</summary>
    internal IReadOnlyDictionary<int, WindowImplementation> WindowImplementationsInUse =>
        _kernels.ToDictionary(p => p.Key, p => p.Value.Implementation);

    /// <summary>Bytes currently held by the caches.</summary>
    public long CacheBytes => Bytes(_output) + Bytes(_residual);

    /// <summary>The most bytes the caches held at once.</summary>
    public long PeakCacheBytes { get; private set; }

    /// <inheritdoc />
    public void BeginStep(int stepIndex)
    {
        if (stepIndex < 0 || stepIndex >= _methods.Length)
            throw new ArgumentOutOfRangeException(nameof(stepIndex), $"The plan has {_methods.Length} steps; step {stepIndex} was asked for.");
        _step = stepIndex;
        if (SearchMode) return;
        for (int l = 0; l < _output.Length; l++)
        {
            // Free caches no step reads any more: outputs are read only by an unbroken run of AST steps, residuals by
            // WA-RS steps before the next full step.
            if (_output[l] is not null && _methods[stepIndex][l] != AttentionMethod.OutputShare) { _output[l]!.Dispose(); _output[l] = null; }
            if (_residual[l] is not null && (_methods[stepIndex][l].IsFull() || !ResidualReadFrom(_methods, stepIndex, l)))
            {
                _residual[l]!.Dispose();
                _residual[l] = null;
            }
        }
    }

    /// <summary>Whether a WA-RS step of layer <paramref name="layer"/> at or after <paramref name="step"/> comes before the next full step.</summary>
    internal static bool ResidualReadFrom(AttentionMethod[][] methods, int step, int layer)
    {
        for (int j = step; j < methods.Length; j++)
        {
            if (methods[j][layer].UsesResidual()) return true;
            if (methods[j][layer].IsFull()) return false;
        }
        return false;
    }

    /// <summary>The method layer <paramref name="layer"/> uses at the current step (ASC removed without a CFG batch).</summary>
    public AttentionMethod MethodFor(int layer)
    {
        var m = _methods[_step][layer];
        return CfgBatch ? m : m.WithoutCfgShare();
    }

    /// <inheritdoc />
    public Tensor Run(int layer, IAttentionProjections attention, Tensor x)
    {
        if (ReusesAttention(layer, x.shape)) return _output[layer]!.alias();
        var method = MethodFor(layer);
        if (method == AttentionMethod.OutputShare)
        {
            Fallbacks++;
            method = AttentionMethod.Full;
        }
        if (method.UsesResidual() && _residual[layer] is null)
        {
            Fallbacks++;
            method = method.SharesCfg() ? AttentionMethod.FullCfgShare : AttentionMethod.Full;
        }
        using var scope = NewDisposeScope();
        bool share = method.SharesCfg();
        var input = share ? ConditionalHalf(x) : x;                                         // (B or B/2, N, D)
        var (q, k, v) = attention.ProjectQkv(input);                                        // (b, H, N, d)
        int tokens = (int)x.shape[1];
        Tensor heads;
        if (method.IsFull())
        {
            heads = functional.scaled_dot_product_attention(q, k, v);                       // (b, H, N, d)
            if (WriteMode != CacheWriteMode.Discard && (SearchMode || _needResidual[_step][layer]) && IsWritten(layer))
            {
                var residual = heads - Window(q, k, v, tokens);                           // R = full − window
                Store(layer, share ? BothHalves(residual) : residual, isResidual: true);
            }
        }
        else
        {
            heads = Window(q, k, v, tokens);                                                // (b, H, N, d)
            if (method.UsesResidual()) heads = heads.Plus(share ? ConditionalHalf(_residual[layer]!) : _residual[layer]!);
        }
        var output = attention.Project(heads);                                              // (b, N, D)
        if (share) output = BothHalves(output);                                             // (B, N, D)
        if (WriteMode != CacheWriteMode.Discard && (SearchMode || _needOutput[_step][layer]) && IsWritten(layer))
            Store(layer, output, isResidual: false);
        return output.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public bool ReusesAttention(int layer, long[] shape) =>
        MethodFor(layer) == AttentionMethod.OutputShare && _output[layer] is Tensor cached && cached.shape.SequenceEqual(shape);

    /// <summary>Makes the pending layer's writes real (the search chose the candidate that produced them).</summary>
    internal void PromotePending()
    {
        for (int l = 0; l < _output.Length; l++)
        {
            if (_pendingOutput[l] is Tensor o) { Replace(_output, l, o); _pendingOutput[l] = null; }
            if (_pendingResidual[l] is Tensor r) { Replace(_residual, l, r); _pendingResidual[l] = null; }
        }
        PeakCacheBytes = Math.Max(PeakCacheBytes, CacheBytes);
    }

    /// <summary>Drops the pending layer's writes.</summary>
    internal void DiscardPending()
    {
        for (int l = 0; l < _output.Length; l++)
        {
            _pendingOutput[l]?.Dispose();
            _pendingOutput[l] = null;
            _pendingResidual[l]?.Dispose();
            _pendingResidual[l] = null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        DiscardPending();
        for (int l = 0; l < _output.Length; l++)
        {
            _output[l]?.Dispose();
            _output[l] = null;
            _residual[l]?.Dispose();
            _residual[l] = null;
        }
        foreach (var kernel in _kernels.Values) kernel.Dispose();
        _kernels.Clear();
    }

    /// <summary>
    /// Which (step, layer) must cache the residual (a full step followed by a WA-RS step before the next full step, as
    /// the reference decides) and the output (followed by an AST step that reads it).
    /// </summary>
    internal static (bool[][] Residual, bool[][] Output) CacheNeeds(AttentionMethod[][] methods, bool cfgBatch)
    {
        int steps = methods.Length, layers = steps == 0 ? 0 : methods[0].Length;
        var residual = new bool[steps][];
        var output = new bool[steps][];
        for (int s = 0; s < steps; s++) { residual[s] = new bool[layers]; output[s] = new bool[layers]; }
        for (int l = 0; l < layers; l++)
        {
            for (int s = 0; s < steps; s++)
            {
                var m = methods[s][l];
                if (m.IsFull())
                {
                    for (int j = s + 1; j < steps && !methods[j][l].IsFull(); j++)
                        if (methods[j][l].UsesResidual()) { residual[s][l] = true; break; }
                }
                if (m != AttentionMethod.OutputShare && s + 1 < steps && methods[s + 1][l] == AttentionMethod.OutputShare) output[s][l] = true;
            }
        }
        return (residual, output);
    }

    /// <summary>Window attention of q, k, v on the kernel prepared for <paramref name="tokens"/> (prepared on first use).</summary>
    private Tensor Window(Tensor q, Tensor k, Tensor v, int tokens)
    {
        var spec = _window(tokens);
        if (!_kernels.TryGetValue(tokens, out var kernel) || kernel.Spec != spec)
        {
            kernel?.Dispose();
            var implementation = WindowKernelChoice.For(spec, tokens, (int)q.shape[1], (int)q.shape[3], _costModel);
            kernel = _kernels[tokens] = WindowImplementations.Prepare(implementation, spec, tokens, q.device, q.dtype);
        }
        return kernel.Compute(q, k, v);
    }

    private bool IsWritten(int layer) => WriteMode == CacheWriteMode.Commit || (WriteMode == CacheWriteMode.PendingLayer && layer == PendingLayer);

    private void Store(int layer, Tensor value, bool isResidual)
    {
        var kept = value.detach().DetachFromDisposeScope();
        if (WriteMode == CacheWriteMode.PendingLayer)
        {
            var slots = isResidual ? _pendingResidual : _pendingOutput;
            slots[layer]?.Dispose();
            slots[layer] = kept;
            return;
        }
        var target = isResidual ? _residual : _output;
        long current = CacheBytes - (target[layer] is Tensor old ? old.ElementSize * old.numel() : 0);
        if (_cacheCapBytes is long cap && current + kept.ElementSize * kept.numel() > cap)
        {
            kept.Dispose();
            target[layer]?.Dispose();
            target[layer] = null;                                                           // readers fall back to full attention
            return;
        }
        Replace(target, layer, kept);
        PeakCacheBytes = Math.Max(PeakCacheBytes, CacheBytes);
    }

    private static void Replace(Tensor?[] slots, int layer, Tensor value)
    {
        slots[layer]?.Dispose();
        slots[layer] = value;
    }

    private Tensor ConditionalHalf(Tensor x)
    {
        long half = x.shape[0] / 2;
        return Order == CfgBatchOrder.ConditionalFirst ? x.narrow(0, 0, half) : x.narrow(0, half, half);
    }

    private static Tensor BothHalves(Tensor conditional) => cat([conditional, conditional], 0);

    private static long Bytes(Tensor?[] slots) => slots.Sum(t => t is null ? 0 : t.ElementSize * t.numel());
}
