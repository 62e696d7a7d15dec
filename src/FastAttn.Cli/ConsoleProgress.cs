using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using Spectre.Console;

namespace FastAttn.Cli;

/// <summary>Runs long work on a worker thread behind a progress bar (plain lines when not interactive); Ctrl-C cancels it.</summary>
internal static class ConsoleProgress
{
    /// <summary>A generation: progress in denoising steps.</summary>
    public static Task<T> RunAsync<T>(string title, int steps, Func<IProgress<DiffusionProgress>, T> work, CancellationToken cancellationToken) =>
        Run(title, steps, work, p => p.Step, p => p.Step == p.TotalSteps || p.Step % Math.Max(1, p.TotalSteps / 10) == 0
            ? $"step {p.Step}/{p.TotalSteps} ({p.Elapsed.TotalSeconds:F1}s)" : null, cancellationToken);

    /// <summary>A plan search: progress in steps, fractional by layer.</summary>
    public static Task<T> RunSearchAsync<T>(string title, int steps, Func<IProgress<PlanSearchProgress>, T> work, CancellationToken
        cancellationToken) =>
        Run(title, steps, work, p => p.Step + (p.Layer + 1.0) / p.Layers, p => p.Layer == p.Layers - 1
            ? $"step {p.Step + 1}/{p.TotalSteps} decided ({p.ForwardEquivalents:F1} forward-equivalents)" : null, cancellationToken);

    private static async Task<T> Run<T, TProgress>(string title, int total, Func<IProgress<TProgress>, T> work, Func<TProgress, double> position,
        Func<TProgress, string?> line, CancellationToken cancellationToken)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            var plain = new SyncProgress<TProgress>(p => { if (line(p) is string text) Console.Error.WriteLine($"{title}: {text}"); });
            return await Task.Run(() => work(plain), cancellationToken);
        }
        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: total);
                var progress = new SyncProgress<TProgress>(p => task.Value = position(p));
                result = await Task.Run(() => work(progress), cancellationToken);
            });
        return result;
    }

    /// <summary>Reports synchronously on the worker thread (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
    private sealed class SyncProgress<TValue>(Action<TValue> report) : IProgress<TValue>
    {
        public void Report(TValue value) => report(value);
    }
}
