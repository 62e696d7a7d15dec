using System.CommandLine;
using System.Runtime.InteropServices;
using FastAttn.Cli.Reporting;
using FastAttn.Engine.Robustness;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn fuzz</c>: fuzzes the file parsers (safetensors, .pt, plan, config, scheduler, tokenizer) for a time
/// budget each, by hand — CI runs a couple of seconds per target in the tests. Prints a table (target, iterations,
/// accepted, typed refusals, findings), writes JSON/markdown/PNG, and saves the first input of each finding.
/// </summary>
internal static class FuzzCommand
{
    public static Command Create()
    {
        var target = new Option<string>("--target")
        {
            Description = $"What to fuzz: {string.Join(", ", FuzzTargets.Names)} or all.",
            DefaultValueFactory = _ => "all",
        };
        var seconds = new Option<double>("--seconds") { Description = "Seconds per target.", DefaultValueFactory = _ => 30 };
        var seed = new Option<int>("--seed") { Description = "Random seed (a run is repeatable for a seed and iteration count).",
            DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (writes .json, .md, .png; findings' inputs go to BASE-findings/).",
            DefaultValueFactory = _ => "bench/fuzz",
        };
        var command = new Command("fuzz", "Fuzz the file parsers: every input must be accepted or refused with a typed error.")
        {
            target, seconds, seed, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(target)!.Trim().ToLowerInvariant();
            var names = name == "all" ? FuzzTargets.Names : [FuzzTargets.Get(name).Name];
            var budget = TimeSpan.FromSeconds(parse.GetValue(seconds));
            if (budget <= TimeSpan.Zero) throw new ArgumentException("--seconds must be positive.");
            var basePath = parse.GetValue(output)!;
            var reports = new List<FuzzReport>();
            foreach (var n in names)
            {
                Console.Error.WriteLine($"Fuzzing {n} for {budget.TotalSeconds:0} s ...");
                reports.Add(await Task.Run(() => FuzzRunner.Run(FuzzTargets.Get(n), budget, null, parse.GetValue(seed),
                    basePath + "-findings", cancellationToken), cancellationToken));
            }
            var report = new BenchReport("Parser fuzzing: every input accepted or refused with a typed error",
                ["target", "iterations", "accepted", "typedFailures", "findings", "seconds"]);
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}";
            report.Provenance["method"] = "seeds built in code (and the built-in plans), 1–4 mutations each: byte set/extreme/insert/delete/" +
                "duplicate/truncate, numbers replaced by extremes, strings by hostile ones; envelopes keep the safetensors length " +
                "prefix and the .pt archive valid so the header and the pickle are reached";
            report.Provenance["seed"] = parse.GetValue(seed);
            foreach (var r in reports)
            {
                report.Add(new()
                {
                    ["target"] = r.Target, ["iterations"] = r.Iterations, ["accepted"] = r.Accepted, ["typedFailures"] = r.Refused,
                    ["findings"] = r.Findings.Sum(f => f.Count), ["seconds"] = r.Seconds,
                    ["findingList"] = string.Join("; ", r.Findings.Select(f => $"{f.Signature} ×{f.Count} ({f.InputPath})")),
                });
            }
            foreach (var f in reports.SelectMany(r => r.Findings.Select(f => (r.Target, f))))
                Console.Error.WriteLine($"FINDING {f.Target}: {f.f.Signature} ×{f.f.Count} — input saved to {f.f.InputPath}");
            report.Write(basePath, plot =>
            {
                BenchReport.AddBars(plot, reports, 3, 0, r => r.Accepted, ScottPlot.Colors.SteelBlue, "accepted");
                BenchReport.AddBars(plot, reports, 3, 1, r => r.Refused, ScottPlot.Colors.Gray, "typed refusal");
                plot.Axes.Bottom.SetTicks([.. reports.Select((_, i) => i * 3 + 0.5)], [.. reports.Select(r => r.Target)]);
                plot.Axes.Left.Label.Text = "inputs";
                plot.ShowLegend();
            });
            return reports.Any(r => r.Findings.Count > 0) ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return command;
    }
}
