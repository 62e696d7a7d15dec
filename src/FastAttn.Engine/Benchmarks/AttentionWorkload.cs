using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Attention.Windows;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Benchmarks;

/// <summary>
/// The inputs and timed actions of one attention shape, shared by <see cref="AttentionBenchmark"/> and the cost model:
/// random q, k, v (B, H, N, d) and x (B, N, D), a self-attention module, and the engine's own code paths — the fused
/// full kernel, prepared window kernels, and <see cref="FastAttentionRunner"/> steps per method. Call under no_grad.
/// </summary>
internal sealed class AttentionWorkload : IDisposable
{
    private readonly Tensor _q, _k, _v, _x;
    private readonly SelfAttention _attention;
    private readonly List<IDisposable> _owned = [];

    /// <summary>Creates the inputs (seeded) on <paramref name="device"/>.</summary>
    public AttentionWorkload(int seq, int heads, int headDim, int batch, Device? device = null)
    {
        if (seq <= 0 || heads <= 0 || headDim <= 0 || batch <= 0)
            throw new ArgumentOutOfRangeException(nameof(seq),
                $"Shape must be positive; got N={seq}, heads={heads}, headDim={headDim}, batch={batch}.");
        Device = device ?? CPU;
        using var scope = NewDisposeScope();
        manual_seed(0);
        _q = randn([batch, heads, seq, headDim], device: Device).DetachFromDisposeScope();
        _k = randn([batch, heads, seq, headDim], device: Device).DetachFromDisposeScope();
        _v = randn([batch, heads, seq, headDim], device: Device).DetachFromDisposeScope();
        _x = randn([batch, seq, heads * headDim], device: Device).Times(0.5).DetachFromDisposeScope();
        _attention = new SelfAttention(heads * headDim, heads);
        _attention.to(Device);
        Tokens = seq;
    }

    /// <summary>The device.</summary>
    public Device Device { get; }

    /// <summary>Sequence length N.</summary>
    public int Tokens { get; }

    /// <summary>The fused full-attention kernel (QKᵀ/AV only).</summary>
    public Action FullKernel() => () => nn.functional.scaled_dot_product_attention(_q, _k, _v).Dispose();

    /// <summary>A window kernel, prepared now (masks built outside the timing).</summary>
    public Action WindowKernel(WindowImplementation implementation, WindowSpec window)
    {
        var kernel = WindowImplementations.Prepare(implementation, window, Tokens, Device, _q.dtype);
        _owned.Add(kernel);
        return () => kernel.Compute(_q, _k, _v).Dispose();
    }

    /// <summary>The whole module (projections + fused full attention), without a runner.</summary>
    public Action FullModule() => () => _attention.forward(_x).Dispose();

    /// <summary>
    /// A runner step with <paramref name="method"/> (step 0 runs full attention so caches exist; the action repeats
    /// step 1). With <paramref name="refreshNext"/> step 1 is a full step that also writes the residual a WA-RS step reads.
    /// The runner picks its window implementation as the engine does, from <paramref name="costModel"/> (null: built in).
    /// </summary>
    public Action ModuleStep(AttentionMethod method, WindowSpec window, bool refreshNext = false, IAttentionCostModel? costModel = null)
    {
        AttentionMethod[][] plan = refreshNext
            ? [[AttentionMethod.Full], [method], [AttentionMethod.WindowResidual]]
            : [[AttentionMethod.Full], [method], [method]];
        var runner = new FastAttentionRunner(plan, _ => window, cfgBatch: true, CfgBatchOrder.ConditionalFirst,
            costModel: costModel);
        _owned.Add(runner);
        runner.BeginStep(0);
        runner.Run(0, _attention, _x).Dispose();
        runner.BeginStep(1);
        return () => runner.Run(0, _attention, _x).Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var o in _owned) o.Dispose();
        _owned.Clear();
        _attention.Dispose();
        _q.Dispose();
        _k.Dispose();
        _v.Dispose();
        _x.Dispose();
    }
}
