using FastAttn.Engine.Checkpoints;
using Spectre.Console;

namespace FastAttn.Cli;

/// <summary>Turns the engine's typed errors into one clear message and an exit code (no stack traces for bad input).</summary>
internal static class ErrorReporter
{
    public static int Report(Exception e)
    {
        switch (e)
        {
            case OperationCanceledException:
                AnsiConsole.MarkupLine("[yellow]Cancelled.[/]");
                return ExitCodes.Cancelled;
            case CheckpointMismatchException or CheckpointFormatException or FileNotFoundException or DirectoryNotFoundException
                or FastAttn.Engine.Compression.PlanFormatException or FastAttn.Engine.Compression.PlanMismatchException
                or ArgumentException or NotSupportedException or InvalidOperationException or InvalidDataException
                or Reporting.ParetoInputException:
                AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
                return ExitCodes.BadInput;
            default:
                AnsiConsole.MarkupLine($"[red]unexpected error:[/] {Markup.Escape(e.ToString())}");
                return ExitCodes.Failure;
        }
    }
}
