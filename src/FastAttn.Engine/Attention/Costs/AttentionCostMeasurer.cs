using System.Diagnostics;
using FastAttn.Engine.Attention.Windows;
using FastAttn.Engine.Benchmarks;
using static TorchSharp.torch;

namespace FastAttn.Engine.Attention.Costs;

/// <summary>
/// Times the engine's own attention code paths at a shape (the same as <see cref="AttentionBenchmark"/>) in two runs —
/// the kernels, then the modules with the window on the fastest kernel, as the engine runs them — each a warm-up round,
/// then at least <paramref name="repetitions"/> interleaved rounds — more (up to 50) while less than
/// <paramref name="minSeconds"/> was timed, so cheap shapes get robust medians — medians. Seconds, not minutes.
/// </summary>
/// <param name="device">The device (default CPU).</param>
/// <param name="repetitions">Timed rounds at least (default 3).</param>
/// <param name="minSeconds">Rounds are added until this much was timed, up to 50 in all (default 0.5 s).</param>
public sealed class AttentionCostMeasurer(Device? device = null, int repetitions = 3, double minSeconds = 0.5) : IAttentionCostMeasurer
{
    private readonly Device _device = device ?? CPU;
    private readonly int _repetitions = repetitions >= 1
        ? repetitions
        : throw new ArgumentOutOfRangeException(nameof(repetitions), $"Repetitions must be at least 1; got {repetitions}.");

    /// <summary>The most rounds a measurement takes.</summary>
    public const int MaxRepetitions = 50;

    /// <summary>The device measured.</summary>
    public Device Device => _device;

    /// <inheritdoc />
    public AttentionCosts Measure(AttentionShape shape, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var clock = Stopwatch.StartNew();
        using var noGrad = no_grad();
        using var work = new AttentionWorkload(shape.Tokens, shape.Heads, shape.HeadDim, shape.Batch, _device);
        var window = shape.Window;
        var implementations = WindowImplementations.For(window.Semantics);
        // Kernels first: the module steps then run the window on the fastest, as the engine will.
        var kernelActions = new List<Action> { work.FullKernel() };
        kernelActions.AddRange(implementations.Select(i => work.WindowKernel(i, window)));
        var kernelMs = Medians(kernelActions, cancellationToken);
        var kernels = implementations.Select((impl, i) => (impl, kernelMs[1 + i])).ToDictionary(p => p.impl, p => p.Item2);
        var fastest = new FixedCostModel(new AttentionCosts(0, 0, 0, 0, 0, 0, kernelMs[0], kernels));
        var ms = Medians(
        [
            work.FullModule(),
            work.ModuleStep(AttentionMethod.Full, window, refreshNext: true, fastest),
            work.ModuleStep(AttentionMethod.WindowResidual, window, costModel: fastest),
            work.ModuleStep(AttentionMethod.FullCfgShare, window, costModel: fastest),
            work.ModuleStep(AttentionMethod.WindowResidualCfgShare, window, costModel: fastest),
            work.ModuleStep(AttentionMethod.OutputShare, window, costModel: fastest),
        ], cancellationToken);
        return new AttentionCosts(ms[0], ms[1], ms[2], ms[3], ms[4], ms[5], kernelMs[0], kernels)
        {
            MeasuredSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    private double[] Medians(IReadOnlyList<Action> actions, CancellationToken cancellationToken) =>
        InterleavedTiming.Measure(actions, _repetitions, warmups: 1, _device, cancellationToken: cancellationToken, minSeconds: minSeconds,
            maxRepetitions: MaxRepetitions).Select(InterleavedTiming.Median).ToArray();
}
