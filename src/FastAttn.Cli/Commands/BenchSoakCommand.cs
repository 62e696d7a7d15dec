using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using FastAttn.Cli.Soak;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn bench soak</c>: K clients send mixed traffic (good, bad, oversized, cancelled, duplicate keys) for M minutes
/// through the hosted engine, the kernel functions, IImageGenerator and (with <c>--redis</c>) the cluster, and account for
/// every request. docs/reliability.md says how to read it.
/// </summary>
internal static class BenchSoakCommand
{
    public static Command Create()
    {
        var minutes = new Option<double>("--minutes") { Description = "How long clients send.", DefaultValueFactory = _ => 2 };
        var requests = new Option<int?>("--requests") { Description = "Send exactly N requests instead (CI's short mode)." };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 4 };
        var model = new Option<string>("--model") { Description = "Image model (class-conditional).", DefaultValueFactory = _ => "tiny-mnist" };
        var video = new Option<string?>("--video-model")
        {
            Description = "A text-to-video model folder for the video requests (none: no video).",
        };
        var steps = new Option<int?>("--steps") { Description = "Steps of good image requests (default: the model's)." };
        var deadline = new Option<double>("--deadline") { Description = "Each request's deadline in seconds.", DefaultValueFactory = _ => 300 };
        var queue = new Option<int?>("--queue") { Description = "The engine's queue length (default: the client count)." };
        var redis = new Option<string?>("--redis") { Description = "Redis host:port: also run a silo and send through the cluster." };
        var silo = new Option<string?>("--silo") { Description = "fastattn-silo.dll (default: beside this tool)." };
        var url = new Option<string?>("--url") { Description = "Also soak a running FastAttn HTTP server (the http transport)." };
        var apiKey = new Option<string?>("--api-key") { Description = "The HTTP server's API key (Bearer)." };
        var watchPid = new Option<int?>("--watch-pid") { Description = "Also sample this process's resident memory (e.g. the HTTP server's)." };
        var transports = new Option<string>("--transports")
        {
            Description = "Transports, comma-separated: engine, kernel, imagegenerator, or none (cluster: with --redis; http: with --url).",
            DefaultValueFactory = _ => "engine,kernel,imagegenerator",
        };
        var seed = new Option<int>("--seed") { Description = "The traffic mix's seed.", DefaultValueFactory = _ => 21 };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (.json, .md, .png).", DefaultValueFactory = _ => "bench/soak",
        };
        var command = new Command("soak", "Soak: K clients, mixed good/bad/cancelled traffic through every transport; lost must be 0.")
        {
            minutes, requests, clients, model, video, steps, deadline, queue, redis, silo, url, apiKey, watchPid, transports, seed, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(minutes) <= 0 || parse.GetValue(requests) is < 1)
                throw new ArgumentException("--minutes and --requests must be positive.");
            if (parse.GetValue(clients) is < 1 or > 256) throw new ArgumentException("--clients takes 1 to 256.");
            if (parse.GetValue(deadline) <= 0) throw new ArgumentException("--deadline must be positive.");
            var names = parse.GetValue(transports)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => t.ToLowerInvariant()).Where(t => t != "none").ToArray();
            var unknown = names.Except(["engine", "kernel", "imagegenerator"]).ToArray();
            if (unknown.Length > 0)
                throw new ArgumentException($"Unknown transport(s) {string.Join(", ", unknown)}: engine, kernel, imagegenerator.");
            var settings = new SoakSettings(parse.GetValue(requests) is null ? TimeSpan.FromMinutes(parse.GetValue(minutes)) : null,
                parse.GetValue(requests), parse.GetValue(clients), parse.GetValue(model)!, parse.GetValue(video) is null ? null : "clip",
                parse.GetValue(steps), TimeSpan.FromSeconds(parse.GetValue(deadline)),
                Cluster: parse.GetValue(redis) is not null || parse.GetValue(url) is not null, parse.GetValue(seed));
            var report = await RunAsync(settings, names, parse.GetValue(video), parse.GetValue(queue) ?? settings.Clients, parse.GetValue(redis),
                parse.GetValue(silo) ?? Path.Combine(AppContext.BaseDirectory, "fastattn-silo.dll"), parse.GetValue(output)!, cancellationToken,
                parse.GetValue(url), parse.GetValue(apiKey), parse.GetValue(watchPid));
            return (int)report.Summary["lost"]! == 0 && (int)report.Summary["untyped"]! == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>
    /// A burst that overflows a queue of <paramref name="queue"/> even if the worker takes two whole batches out of it meanwhile:
    /// the queue's length plus twice the engine's largest batch, plus one.
    /// </summary>
    public static int BurstFor(int queue) => Math.Max(1, queue) + 2 * new Plugin.Options.FastAttnOptions().MaxBatch + 1;

    /// <summary>Runs the soak and writes its report (also the CLI tests' entry point).</summary>
    public static async Task<Reporting.BenchReport> RunAsync(SoakSettings settings, IReadOnlyCollection<string> transports, string? videoModel,
        int queue, string? redis, string siloDll, string output, CancellationToken cancellationToken, string? url = null, string? apiKey = null,
        int? watchPid = null)
    {
        var root = Directory.CreateTempSubdirectory("fastattn-soak").FullName;
        if (settings.Burst == 0) settings = settings with { Burst = BurstFor(queue) };
        try
        {
            SoakRunner runner;
            SoakHost started;
            var progress = new Progress<string>(Console.Error.WriteLine);
            var options = new SoakHostOptions(root, videoModel is null ? null : Path.GetFullPath(videoModel), Math.Max(1, queue), redis, siloDll);
            await using (var host = await SoakHost.StartAsync(settings, options, transports, cancellationToken))
            {
                started = host;
                if (url is not null) host.Transports.Add(new HttpTransport(url, apiKey));
                Console.Error.WriteLine($"soak: {settings.Clients} client(s) through {string.Join(", ", host.Transports.Select(t => t.Name))}");
                var (silo, watched) = (host.Silo, watchPid is int pid ? WatchedProcess.Open(pid) : null);
                runner = new SoakRunner(settings, host.Transports, host.Engine, silo is null ? null : silo.RssMb,
                    watched is null ? null : watched.RssMb);
                await runner.RunAsync(progress, cancellationToken);
            }
            var report = SoakReport.Build(runner, settings, SoakHost.TempFilesLeft(root), SoakHost.OrphanFiles(root, runner.Delivered),
                started.Engine.Status.AbandonedResults);                                       // counters only: safe once stopped
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}";
            report.Provenance["traffic"] = $"model {settings.ImageModel}, video {videoModel ?? "none"}, steps " +
                $"{settings.Steps?.ToString(CultureInfo.InvariantCulture) ?? "default"}, deadline {settings.Deadline.TotalSeconds} s, " +
                $"seed {settings.Seed}";
            report.Provenance["engine"] = $"in process, queue {queue}, cpu{(redis is null ? "" : "; cluster: one silo on Redis " + redis)}";
            SoakReport.Write(report, runner, output);
            return report;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
