using System.CommandLine;
using FastAttn.Cli.Commands;

namespace FastAttn.Cli;

/// <summary>The fastattn command tree and its error handling (typed errors → one message and exit code 2).</summary>
public static class CliApp
{
    /// <summary>Builds the root command.</summary>
    public static RootCommand BuildRoot() =>
        new("fastattn — fast DiT image generation with DiTFastAttn (window attention with residual sharing, attention sharing " +
            "across timesteps and CFG).")
    {
        GenerateCommand.Create(),
        GenerateVideoCommand.Create(),
        InspectCommand.Create(),
        SearchCommand.Create(),
        PlanCommand.Create(),
        BenchCommand.Create(),
        ReportCommand.Create(),
        TrainCommand.Create(),
        EvalCommand.Create(),
        FuzzCommand.Create(),
        EvalCommand.CreateTrainClassifier(),
    };

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        FastAttn.Engine.Runtime.NativeAllocator.RetainFreedMemory();                      // tensor-sized blocks reused, not re-faulted
        try
        {
            // Ctrl-C cancels the token; work stops at the next denoising step or search layer (allow it time on big models).
            var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout =
                TimeSpan.FromSeconds(60) };
            return await BuildRoot().Parse(args).InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception e)
        {
            return ErrorReporter.Report(e);
        }
    }
}
