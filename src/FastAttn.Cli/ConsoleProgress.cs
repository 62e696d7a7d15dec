using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using Spectre.Console;

namespace FastAttn.Cli;

/// <summary>Runs long work on a worker thread behind a progress bar; Ctrl-C cancels it cleanly.</summary>
internal static class ConsoleProgress
{
    public static async Task<T> RunAsync<T>(string title, int total, Func<IProgress<DiffusionProgress>, T> work, CancellationToken cancellationToken)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            var plain = new Progress<DiffusionProgress>(p =>
            {
                if (p.Step == p.TotalSteps || p.Step % Math.Max(1, p.TotalSteps / 10) == 0)
                    Console.Error.WriteLine($"{title}: step {p.Step}/{p.TotalSteps} ({p.Elapsed.TotalSeconds:F1}s)");
            });
            return await Task.Run(() => work(plain), cancellationToken);
        }
        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: total);
                var progress = new SyncProgress(p => task.Value = p.Step);
                result = await Task.Run(() => work(progress), cancellationToken);
            });
        return result;
    }

    public static async Task<T> RunSearchAsync<T>(string title, int steps, Func<IProgress<PlanSearchProgress>, T> work, CancellationToken cancellationToken)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            var plain = new SyncProgress<PlanSearchProgress>(p =>
            {
                if (p.Layer == p.Layers - 1) Console.Error.WriteLine($"{title}: step {p.Step + 1}/{p.TotalSteps} decided ({p.ForwardEquivalents:F1} forward-equivalents)");
            });
            return await Task.Run(() => work(plain), cancellationToken);
        }
        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: steps);
                var progress = new SyncProgress<PlanSearchProgress>(p => task.Value = p.Step + (p.Layer + 1.0) / p.Layers);
                result = await Task.Run(() => work(progress), cancellationToken);
            });
        return result;
    }

    private sealed class SyncProgress(Action<DiffusionProgress> report) : IProgress<DiffusionProgress>
    {
        public void Report(DiffusionProgress value) => report(value);
    }

    private sealed class SyncProgress<TValue>(Action<TValue> report) : IProgress<TValue>
    {
        public void Report(TValue value) => report(value);
    }
}
