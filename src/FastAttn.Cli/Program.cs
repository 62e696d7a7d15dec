using System.CommandLine;
using FastAttn.Cli.Commands;

var root = new RootCommand("fastattn — fast DiT image generation with DiTFastAttn (window attention with residual sharing, attention sharing across timesteps and CFG).")
{
    GenerateCommand.Create(),
    InspectCommand.Create(),
    SearchCommand.Create(),
    PlanCommand.Create(),
    BenchCommand.Create(),
};
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false })
    .ContinueWith(t => t.IsFaulted ? FastAttn.Cli.ErrorReporter.Report(t.Exception!.GetBaseException()) : t.IsCanceled ? FastAttn.Cli.ExitCodes.Cancelled : t.Result);
