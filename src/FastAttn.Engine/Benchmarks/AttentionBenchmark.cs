using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Windows;
using FastAttn.Engine.Compression;
using static TorchSharp.torch;

namespace FastAttn.Engine.Benchmarks;

/// <summary>One measured attention variant.</summary>
/// <param name="Method">full, window-block, window-token, window-SEMANTICS-IMPL (kernels) or a module-level technique.</param>
/// <param name="Level">"kernel" (QKᵀ/AV only) or "module" (projections + kernel).</param>
/// <param name="Seq">Sequence length N.</param>
/// <param name="FlopsFraction">
/// FLOPs vs full at the same level (module: the paper's measure), counted on the exact (query, key) pairs the window
/// covers: an implementation that also computes masked or padded pairs gets no credit for them.
/// </param>
/// <param name="LatencyFraction">Median latency vs full at the same level, measured interleaved in the same run.</param>
/// <param name="MedianMs">Median latency.</param>
/// <param name="SpreadMs">Max − min latency over the repetitions.</param>
public sealed record AttentionBenchRow(string Method, string Level, int Seq, double FlopsFraction, double LatencyFraction, double MedianMs,
    double SpreadMs)
{
    /// <summary>
    /// Latency fraction over FLOPs fraction: time per useful FLOP against full attention's (1 = as efficient as full
    /// attention; the kernel targets are ≤ 1.6 at N = 1024 and ≤ 1.15 at N = 4096). 0 for rows without FLOPs.
    /// </summary>
    public double LatencyPerFlops => FlopsFraction > 0 ? LatencyFraction / FlopsFraction : 0;

    /// <summary>Latency fraction over FLOPs fraction.</summary>
    [Obsolete("use LatencyPerFlops")]
    public double Ratio => LatencyPerFlops;

    /// <summary>The window implementation a window-kernel row measures; null for other rows.</summary>
    public WindowImplementation? Implementation { get; init; }

    /// <summary>The window semantics a window-kernel row computes; null for other rows.</summary>
    public WindowSemantics? Semantics { get; init; }

    /// <summary>The method a module row measures (with <see cref="Refresh"/>: a full step writing the residual); null for kernel rows.</summary>
    public AttentionMethod? ModuleMethod { get; init; }

    /// <summary>Whether a module row is a full step that also refreshes the window residual.</summary>
    public bool Refresh { get; init; }
}

/// <summary>
/// Measures DiTFastAttn's attention variants against TorchSharp's fused full attention on the same shapes, batch and
/// threads: repetitions are interleaved (every variant once per round) so machine noise hits all alike.
/// </summary>
public static class AttentionBenchmark
{
    /// <summary>Runs the benchmark for one sequence length.</summary>
    public static IReadOnlyList<AttentionBenchRow> Run(int seq, int heads, int headDim, int batch, int repetitions, int? halfWidth = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        using var noGrad = no_grad();
        using var work = new AttentionWorkload(seq, heads, headDim, batch);
        int d = heads * headDim;
        double all = (double)seq * seq;
        var block = WindowSpec.ForTokens(seq, WindowSemantics.BlockBand, halfWidth);
        var token = WindowSpec.ForTokens(seq, WindowSemantics.TokenBand, halfWidth);
        var variants = new List<(AttentionBenchRow Row, Action Action)> { (Row("full", "kernel", 1.0), work.FullKernel()) };
        foreach (var spec in new[] { block, token })
            foreach (var impl in WindowImplementations.For(spec.Semantics))
                variants.Add((Row(KernelName(spec.Semantics, impl), "kernel", spec.WindowPairs(seq) / all) with
                    { Implementation = impl, Semantics = spec.Semantics }, work.WindowKernel(impl, spec)));
        variants.Add((Row("full", "module", 1.0) with { ModuleMethod = AttentionMethod.Full }, work.FullModule()));
        foreach (var (name, method, refresh) in ModuleVariants)
            variants.Add((Row(name, "module", ModuleFraction(method, refresh, seq, d, block)) with { ModuleMethod = method, Refresh = refresh },
                work.ModuleStep(method, block, refresh)));
        var times = InterleavedTiming.Measure(variants.Select(v => v.Action).ToArray(), repetitions, warmups: 1,
            roundDone: r => progress?.Report($"N={seq}: round {r}/{repetitions}"), cancellationToken: cancellationToken);
        double fullKernel = InterleavedTiming.Median(times[0]);
        double fullModule = InterleavedTiming.Median(times[variants.FindIndex(v => v.Row.Level == "module")]);
        return variants.Select((v, i) =>
        {
            double median = InterleavedTiming.Median(times[i]);
            return v.Row with
            {
                LatencyFraction = median / (v.Row.Level == "kernel" ? fullKernel : fullModule),
                MedianMs = median,
                SpreadMs = times[i].Max() - times[i].Min(),
            };
        }).ToList();

        AttentionBenchRow Row(string name, string level, double flops) => new(name, level, seq, flops, 0, 0, 0);
    }

    /// <summary>The module-level variants after full: name, method, whether it is a residual-refresh full step.</summary>
    internal static IReadOnlyList<(string Name, AttentionMethod Method, bool Refresh)> ModuleVariants { get; } =
    [
        ("wars", AttentionMethod.WindowResidual, false),
        ("wars-refresh", AttentionMethod.Full, true),
        ("asc", AttentionMethod.FullCfgShare, false),
        ("wars+asc", AttentionMethod.WindowResidualCfgShare, false),
        ("ast", AttentionMethod.OutputShare, false),
    ];

    /// <summary>A window-kernel row's name: window-block and window-token for the band kernels, window-SEMANTICS-IMPL otherwise.</summary>
    public static string KernelName(WindowSemantics semantics, WindowImplementation implementation)
    {
        string s = semantics == WindowSemantics.BlockBand ? "block" : "token";
        bool band = implementation is WindowImplementation.BlockBand or WindowImplementation.TokenBand;
        return band ? $"window-{s}" : $"window-{s}-{implementation.ToShortName()}";
    }

    private static double ModuleFraction(AttentionMethod method, bool refresh, int seq, int d, WindowSpec window)
    {
        if (method == AttentionMethod.OutputShare) return 0;
        var shape = new FlopsShape(seq, d, 1, CfgBatch: true);
        long pairs = window.WindowPairs(seq);
        return AttentionFlops.Layer(method, refresh, shape, pairs).Module / AttentionFlops.Layer(AttentionMethod.Full, false, shape, pairs).Module;
    }
}
