using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Benchmarks;

/// <summary>One measured attention variant.</summary>
/// <param name="Method">full, window-block, window-token (kernels) or a module-level technique.</param>
/// <param name="Level">"kernel" (QKᵀ/AV only) or "module" (projections + kernel).</param>
/// <param name="Seq">Sequence length N.</param>
/// <param name="FlopsFraction">FLOPs vs full at the same level (module: the paper's measure).</param>
/// <param name="LatencyFraction">Median latency vs full at the same level, measured interleaved in the same run.</param>
/// <param name="MedianMs">Median latency.</param>
/// <param name="SpreadMs">Max − min latency over the repetitions.</param>
public sealed record AttentionBenchRow(string Method, string Level, int Seq, double FlopsFraction, double LatencyFraction, double MedianMs,
    double SpreadMs)
{
    /// <summary>Latency fraction over FLOPs fraction (1 = the kernel is as efficient as full attention).</summary>
    public double Ratio => FlopsFraction > 0 ? LatencyFraction / FlopsFraction : 0;
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
        using var scope = NewDisposeScope();
        int d = heads * headDim;
        manual_seed(0);
        var q = randn(batch, heads, seq, headDim);
        var k = randn(batch, heads, seq, headDim);
        var v = randn(batch, heads, seq, headDim);
        var x = randn(batch, seq, d) * 0.5;
        using var attention = new SelfAttention(d, heads);
        var owned = new List<IDisposable>();
        var block = WindowSpec.ForTokens(seq, WindowSemantics.BlockBand, halfWidth);
        var token = WindowSpec.ForTokens(seq, WindowSemantics.TokenBand, halfWidth);
        // module-level runners: step 0 computes full (+ residual for the refresh variant), step 1 the technique
        var variants = new (string Name, string Level, Func<Action> Prepare, double Flops)[]
        {
            ("full", "kernel", () => () => Consume(nn.functional.scaled_dot_product_attention(q, k, v)), 1.0),
            ("window-block", "kernel", () => () => Consume(WindowAttention.Compute(q, k, v, block)), block.ComputedPairs(seq) / (double)((long)seq *
                seq)),
            ("window-token", "kernel", () => () => Consume(WindowAttention.Compute(q, k, v, token)), token.ComputedPairs(seq) / (double)((long)seq *
                seq)),
            ("full", "module", () => () => Consume(attention.forward(x)), 1.0),
            ("wars", "module", ModuleStep(owned, attention, x, block, AttentionMethod.WindowResidual),
                ModuleFraction(AttentionMethod.WindowResidual, false, seq, d, block)),
            ("wars-refresh", "module", ModuleStep(owned, attention, x, block, AttentionMethod.Full, refreshNext: true),
                ModuleFraction(AttentionMethod.Full, true, seq, d, block)),
            ("asc", "module", ModuleStep(owned, attention, x, block, AttentionMethod.FullCfgShare), ModuleFraction(AttentionMethod.FullCfgShare,
                false, seq, d, block)),
            ("wars+asc", "module", ModuleStep(owned, attention, x, block, AttentionMethod.WindowResidualCfgShare),
                ModuleFraction(AttentionMethod.WindowResidualCfgShare, false, seq, d, block)),
            ("ast", "module", ModuleStep(owned, attention, x, block, AttentionMethod.OutputShare), 0.0),
        };
        var actions = variants.Select(vr => vr.Prepare()).ToArray();
        foreach (var a in actions) a();                                                      // warm-up
        var times = variants.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < repetitions; r++)
        {
            for (int i = 0; i < actions.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                actions[i]();
                times[i].Add(sw.Elapsed.TotalMilliseconds);
            }
            progress?.Report($"N={seq}: round {r + 1}/{repetitions}");
        }
        double Median(List<double> t)
        {
            var s = t.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
        foreach (var o in owned) o.Dispose();
        double fullKernel = Median(times[0]), fullModule = Median(times[3]);
        return variants.Select((vr, i) => new AttentionBenchRow(vr.Name, vr.Level, seq, vr.Flops,
            Median(times[i]) / (vr.Level == "kernel" ? fullKernel : fullModule), Median(times[i]), times[i].Max() - times[i].Min())).ToList();
    }

    private static double ModuleFraction(AttentionMethod method, bool refresh, int seq, int d, WindowSpec window)
    {
        var shape = new FlopsShape(seq, d, 1, CfgBatch: true);
        long pairs = window.ComputedPairs(seq);
        return AttentionFlops.Layer(method, refresh, shape, pairs).Module / AttentionFlops.Layer(AttentionMethod.Full, false, shape, pairs).Module;
    }

    /// <summary>A runner whose step 1 uses <paramref name="method"/> (step 0 full, so caches exist); the action times step 1.</summary>
    private static Func<Action> ModuleStep(List<IDisposable> owned, SelfAttention attention, Tensor x, WindowSpec window, AttentionMethod method,
        bool refreshNext = false)
    {
        return () =>
        {
            AttentionMethod[][] plan = refreshNext
                ? [[AttentionMethod.Full], [method], [AttentionMethod.WindowResidual]]
                : [[AttentionMethod.Full], [method], [method]];
            var runner = new FastAttentionRunner(plan, _ => window, cfgBatch: true, CfgBatchOrder.ConditionalFirst);
            owned.Add(runner);
            runner.BeginStep(0);
            runner.Run(0, attention, x).Dispose();
            runner.BeginStep(1);
            return () => Consume(runner.Run(0, attention, x));
        };
    }

    private static void Consume(Tensor t) => t.Dispose();
}
