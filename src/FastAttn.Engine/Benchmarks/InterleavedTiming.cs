using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Benchmarks;

/// <summary>
/// The one timing loop of the attention measurements: warm-up, then repetitions interleaved (every action once per
/// round) so machine noise hits all alike; medians and spreads of the times. Each round starts one action later than
/// the last (round r runs actions r, r+1, … mod n), so no action always runs first or always follows the same one — with
/// a fixed order the first action of every round (raw, in the end-to-end benchmark) ran measurably slower.
/// </summary>
internal static class InterleavedTiming
{
    /// <summary>Times each action <paramref name="repetitions"/> times, interleaved → milliseconds [action][repetition].</summary>
    /// <param name="actions">The actions.</param>
    /// <param name="repetitions">Timed rounds.</param>
    /// <param name="warmups">Untimed rounds first.</param>
    /// <param name="device">Device the actions run on (CUDA is synchronised before each clock read).</param>
    /// <param name="roundDone">Called after each timed round with its 1-based number.</param>
    /// <param name="cancellationToken">Cancels between actions.</param>
    /// <param name="minSeconds">Keep adding rounds after <paramref name="repetitions"/> until this much time was timed (cheap
    /// shapes get more rounds, so their medians resist bursts of machine noise) …</param>
    /// <param name="maxRepetitions">… up to this many rounds in all.</param>
    public static double[][] Measure(IReadOnlyList<Action> actions, int repetitions, int warmups, Device? device = null,
        Action<int>? roundDone = null, CancellationToken cancellationToken = default, double minSeconds = 0, int maxRepetitions = 0)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (repetitions < 1) throw new ArgumentOutOfRangeException(nameof(repetitions), $"Repetitions must be at least 1; got {repetitions}.");
        bool cuda = device?.type == DeviceType.CUDA;
        for (int w = 0; w < warmups; w++)
            foreach (var a in actions) { cancellationToken.ThrowIfCancellationRequested(); a(); }
        if (cuda) SyncCuda();
        var times = actions.Select(_ => new List<double>()).ToArray();
        var clock = Stopwatch.StartNew();
        for (int r = 0; r < repetitions || (r < maxRepetitions && clock.Elapsed.TotalSeconds < minSeconds); r++)
        {
            for (int k = 0; k < actions.Count; k++)
            {
                int i = (k + r) % actions.Count;
                cancellationToken.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                actions[i]();
                if (cuda) SyncCuda();
                times[i].Add(sw.Elapsed.TotalMilliseconds);
            }
            roundDone?.Invoke(r + 1);
        }
        return times.Select(t => t.ToArray()).ToArray();
    }

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static void SyncCuda() => TorchSharp.torch.cuda.synchronize();
}
