using System.Diagnostics;

namespace FastAttn.Engine.Robustness;

/// <summary>One finding: what escaped, how often, and the file of its first input.</summary>
/// <param name="Signature">The exception type and the first line of its message.</param>
/// <param name="Count">How many inputs produced it.</param>
/// <param name="InputPath">Where its first input was saved (null when not saved).</param>
public sealed record FuzzFinding(string Signature, int Count, string? InputPath);

/// <summary>The outcome of fuzzing one target.</summary>
/// <param name="Target">The target's name.</param>
/// <param name="Iterations">Inputs tried.</param>
/// <param name="Accepted">Inputs the parser accepted.</param>
/// <param name="Refused">Inputs refused with the typed exception.</param>
/// <param name="Findings">Distinct findings (empty when the parser held).</param>
/// <param name="Seconds">Wall time spent.</param>
public sealed record FuzzReport(string Target, long Iterations, long Accepted, long Refused, IReadOnlyList<FuzzFinding> Findings,
    double Seconds);

/// <summary>
/// Runs a <see cref="FuzzTarget"/> on mutated seeds (1–4 <see cref="FuzzMutation"/>s each, drawn from a seeded
/// <see cref="Random"/>) until a time or iteration budget is spent. Deterministic for a given seed and iteration count.
/// </summary>
public static class FuzzRunner
{
    /// <summary>Fuzzes <paramref name="target"/> for <paramref name="duration"/> or <paramref name="maxIterations"/> inputs.</summary>
    /// <param name="target">The target.</param>
    /// <param name="duration">The time budget.</param>
    /// <param name="maxIterations">The input budget (null: time only).</param>
    /// <param name="seed">The random seed.</param>
    /// <param name="findingsFolder">Where to save the first input of each finding (null: not saved).</param>
    /// <param name="cancellationToken">Stops the run early.</param>
    public static FuzzReport Run(FuzzTarget target, TimeSpan duration, long? maxIterations = null, int seed = 1,
        string? findingsFolder = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var random = new Random(seed);
        var work = Directory.CreateTempSubdirectory("fastattn-fuzz-");
        var findings = new Dictionary<string, (int Count, string? Path)>(StringComparer.Ordinal);
        long iterations = 0, accepted = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < duration && (maxIterations is not long max || iterations < max) && !cancellationToken.IsCancellationRequested)
            {
                var input = Mutate(target, random);
                var result = target.Run(input, work.FullName);
                iterations++;
                if (result.Outcome == FuzzOutcome.Accepted) accepted++;
                else if (result.Outcome == FuzzOutcome.Refused) refused++;
                else Record(findings, result.Error!, input, target, findingsFolder);
            }
        }
        finally
        {
            try { work.Delete(recursive: true); }
            catch (IOException) { }
        }
        return new FuzzReport(target.Name, iterations, accepted, refused,
            findings.Select(kv => new FuzzFinding(kv.Key, kv.Value.Count, kv.Value.Path)).ToList(), clock.Elapsed.TotalSeconds);
    }

    /// <summary>A seed of <paramref name="target"/> with 1–4 random mutations (sometimes none, to keep the seeds tested).</summary>
    public static byte[] Mutate(FuzzTarget target, Random random)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(random);
        var seed = target.Seeds[random.Next(target.Seeds.Count)];
        int count = random.Next(20) == 0 ? 0 : 1 + random.Next(4);
        return FuzzMutation.Apply(seed, Enumerable.Range(0, count).Select(_ => FuzzMutation.Draw(random)).ToList());
    }

    private static void Record(Dictionary<string, (int Count, string? Path)> findings, Exception error, byte[] input, FuzzTarget target,
        string? folder)
    {
        var line = error.Message.Split('\n')[0];
        var signature = $"{error.GetType().Name}: {(line.Length > 160 ? line[..160] : line)}";
        if (findings.TryGetValue(signature, out var known))
        {
            findings[signature] = (known.Count + 1, known.Path);
            return;
        }
        string? path = null;
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
            path = Path.Combine(folder, $"{target.Name}-finding-{findings.Count + 1}-{target.FileName}");
            File.WriteAllBytes(path, input);
        }
        findings[signature] = (1, path);
    }
}
