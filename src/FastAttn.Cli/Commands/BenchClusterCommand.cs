using System.Runtime.InteropServices;
using System.CommandLine;
using System.Globalization;
using FastAttn.Cli.Reporting;
using FastAttn.Plugin.Hosting;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn bench cluster</c>: throughput of 1, 2, … FastAttn hosts (silo processes on this machine, localhost
/// clustering), measured in one run, as jobs per second and speed-up over the first host count.
/// </summary>
internal static class BenchClusterCommand
{
    public static Command Create()
    {
        var hosts = new Option<string>("--hosts") { Description = "Host counts to measure, comma-separated.", DefaultValueFactory = _ => "1,2" };
        var jobs = new Option<int>("--jobs")
        {
            Description = "Jobs per measurement (one image each), submitted at once.",
            DefaultValueFactory = _ => 16,
        };
        var model = new Option<string>("--model")
        {
            Description = "Model every host serves (a built-in name or a checkpoint path).",
            DefaultValueFactory = _ => "tiny-mnist",
        };
        var steps = new Option<int>("--steps") { Description = "Denoising steps per job.", DefaultValueFactory = _ => 25 };
        var preset = new Option<string>("--preset") { Description = "Quality preset of the jobs.", DefaultValueFactory = _ => "D2" };
        var threads = new Option<int>("--threads")
        {
            Description = "LibTorch threads per host (a host stands for one device).",
            DefaultValueFactory = _ => 1,
        };
        var silo = new Option<string?>("--silo") { Description = "fastattn-silo.dll (default: beside this tool)." };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (writes .json, .md, .png).",
            DefaultValueFactory = _ => "bench/cluster",
        };
        var command = new Command("cluster",
            "Scale-out throughput: N fastattn-silo hosts on this machine (Orleans, localhost clustering) against one, in one run.")
        {
            hosts, jobs, model, steps, preset, threads, silo, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var counts = parse.GetValue(hosts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(h => int.TryParse(h, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 16 ? n
                    : throw new ArgumentException($"--hosts takes counts from 1 to 16 (got '{h}').")).ToArray();
            if (parse.GetValue(jobs) < 1) throw new ArgumentException("--jobs must be at least 1.");
            var siloDll = parse.GetValue(silo) ?? Path.Combine(AppContext.BaseDirectory, "fastattn-silo.dll");
            if (!File.Exists(siloDll)) throw new
                FileNotFoundException($"fastattn-silo.dll not found at {siloDll}: build the repository (it is copied beside the tool) or pass " +
                    $"--silo.", siloDll);
            var request = new FastAttnImageRequest { Prompt = "7", Model = parse.GetValue(model), Steps = parse.GetValue(steps), Preset =
                parse.GetValue(preset) };
            var progress = new Progress<string>(m => Console.Error.WriteLine(m));
            var report = new BenchReport("Scale-out: jobs per second of N FastAttn hosts (fastattn-silo processes, Orleans)",
                ["method", "hosts", "jobs", "seconds", "jobsPerSecond", "speedup", "latencyFraction", "perHost"]);
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
                $"CPU";
            report.Provenance["jobs"] = $"{parse.GetValue(jobs)} × 1 image, model {request.Model}, {request.Steps} steps, " +
                $"preset {request.Preset}, " +
                $"submitted at once after a warm-up job per host (model loaded everywhere)";
            report.Provenance["hosts"] = $"localhost clustering, one cpu worker per host, {parse.GetValue(threads)} LibTorch thread(s) per host " +
                $"(FastAttn:Threads)";
            ClusterRun? first = null;
            foreach (var n in counts)
            {
                var run = await ClusterThroughput.RunAsync(siloDll, n, parse.GetValue(jobs), request, parse.GetValue(threads), progress,
                    cancellationToken);
                first ??= run;
                report.Add(new()
                {
                    ["method"] = "cluster", ["hosts"] = n, ["jobs"] = run.Jobs, ["seconds"] = run.Seconds, ["jobsPerSecond"] = run.Jobs / run.Seconds,
                    ["speedup"] = first.Seconds / run.Seconds * run.Jobs / first.Jobs, ["latencyFraction"] = run.Seconds / first.Seconds,
                    ["perHost"] = string.Join(" ", run.PerHost.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{p.Value}")),
                });
            }
            report.Write(parse.GetValue(output)!, plot =>
            {
                var rows = report.Rows;
                plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i, Value = (double)r["jobsPerSecond"]!, FillColor =
                    ScottPlot.Colors.SteelBlue }).ToArray());
                var ideal = plot.Add.Scatter(rows.Select((_, i) => (double)i).ToArray(), rows.Select(r => (double)rows[0]["jobsPerSecond"]! *
                    (int)r["hosts"]! / (int)rows[0]["hosts"]!).ToArray());
                ideal.LegendText = "linear scaling";
                plot.Axes.Bottom.SetTicks(rows.Select((_, i) => (double)i).ToArray(), rows.Select(r => $"{r["hosts"]} host(s)").ToArray());
                plot.Axes.Left.Label.Text = "jobs per second";
                plot.Axes.Margins(bottom: 0);
                plot.ShowLegend();
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
