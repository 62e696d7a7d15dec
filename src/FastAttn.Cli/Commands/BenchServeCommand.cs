using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using FastAttn.Cli.Reporting;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn bench serve</c>: K concurrent clients sending requests through the hosted engine (in process), with request
/// batching on and off in one run — same workers and threads, interleaved — as images per second, latency percentiles
/// and the mean batch size. With <c>--url</c>, the clients talk to a running FastAttn server over HTTP instead
/// (<see cref="HttpServeThroughput"/>; rows with <c>transport: http</c>).
/// </summary>
internal static class BenchServeCommand
{
    public static Command Create()
    {
        var clients = new Option<string>("--clients")
        {
            Description = "Client counts to measure, comma-separated.",
            DefaultValueFactory = _ => "1,4,16",
        };
        var requests = new Option<int>("--requests") { Description = "Requests per client (one image each).", DefaultValueFactory = _ => 4 };
        var total = new Option<int?>("--total") { Description = "A fixed total of requests per measurement instead of --requests per client." };
        var reps = new Option<int>("--reps") { Description = "Interleaved repetitions (images per second: median).", DefaultValueFactory = _ => 3 };
        var model = new Option<string>("--model") { Description = "Model served (a built-in name).", DefaultValueFactory = _ => "tiny-mnist" };
        var preset = new Option<string>("--preset") { Description = "Quality preset of the requests.", DefaultValueFactory = _ => "raw" };
        var steps = new Option<int?>("--steps") { Description = "Denoising steps (default: the model's)." };
        var maxBatch = new Option<int>("--max-batch")
        {
            Description = "MaxBatch of the batching engine (the other runs with 1).",
            DefaultValueFactory = _ => new FastAttnOptions().MaxBatch,
        };
        var workers = new Option<int>("--workers") { Description = "Workers of both engines (Concurrency).", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "LibTorch threads (process-wide; default LibTorch's)." };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (writes .json, .md, .png).",
            DefaultValueFactory = _ => "bench/serve",
        };
        var url = new Option<string?>("--url")
        {
            Description = "A running FastAttn server's root (e.g. http://127.0.0.1:5080): measure over HTTP instead of in process. "
                + "Its batching is its own FastAttn:MaxBatch (--max-batch, --workers, --threads and --device do not apply).",
        };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer key for --url (default: $FASTATTN_API_KEY)." };
        var command = new Command("serve",
            "Serving throughput: K concurrent clients through the hosted engine (in process), request batching on vs off, in one run.")
        {
            clients, requests, total, reps, model, preset, steps, maxBatch, workers, threads, device, output, url, apiKey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var counts = parse.GetValue(clients)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(c => int.TryParse(c, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 256 ? n
                    : throw new ArgumentException($"--clients takes counts from 1 to 256 (got '{c}').")).ToArray();
            if (counts.Length == 0) throw new ArgumentException("--clients needs at least one count.");
            if (parse.GetValue(requests) < 1) throw new ArgumentException("--requests must be at least 1.");
            if (parse.GetValue(total) is < 1) throw new ArgumentException("--total must be at least 1.");
            if (parse.GetValue(reps) < 1) throw new ArgumentException("--reps must be at least 1.");
            if (parse.GetValue(maxBatch) < 1 || parse.GetValue(workers) < 1)
                throw new ArgumentException("--max-batch and --workers must be at least 1.");
            var request = new FastAttnImageRequest { Prompt = "0", Model = parse.GetValue(model), Preset = parse.GetValue(preset),
                Steps = parse.GetValue(steps), Seed = 1000 };
            var settings = new ServeSettings(request, parse.GetValue(maxBatch), parse.GetValue(workers), parse.GetValue(threads),
                parse.GetValue(device)!, counts.Max());
            int Total(int k) => parse.GetValue(total) ?? k * parse.GetValue(requests);
            if (parse.GetValue(url) is { Length: > 0 } server)
            {
                await HttpServeThroughput.RunAsync(server, parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("FASTATTN_API_KEY"),
                    new HttpServeRequest(parse.GetValue(model), parse.GetValue(preset), parse.GetValue(steps)), counts, Total,
                    parse.GetValue(reps), parse.GetValue(output)!, cancellationToken);
                return ExitCodes.Ok;
            }
            Console.Error.WriteLine("starting two engines (batching on and off) and warming them up");
            await using var bench = await ServeThroughput.StartAsync(settings, cancellationToken);
            var runs = new List<ServeRun>();
            for (int rep = 0; rep < parse.GetValue(reps); rep++)
                foreach (var k in counts)
                    foreach (var batching in rep % 2 == 0 ? new[] { false, true } : [true, false])              // interleaved, order alternating
                    {
                        var run = await bench.MeasureAsync(k, Total(k), batching, settings, cancellationToken);
                        Console.Error.WriteLine($"rep {rep + 1}: {k} client(s), batching {(batching ? "on" : "off")}: " +
                            $"{run.Images / run.Seconds:F2} images/s");
                        runs.Add(run);
                    }
            var report = ServeReport.Build(runs, counts);
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}";
            report.Provenance["threads"] = settings.Threads?.ToString(CultureInfo.InvariantCulture)
                ?? $"LibTorch default ({TorchSharp.torch.get_num_threads()})";
            var count = parse.GetValue(total) is int t ? $"{t} per measurement" : $"{parse.GetValue(requests)} per client";
            report.Provenance["requests"] = $"model {request.Model}, preset {request.Preset}, steps " +
                $"{request.Steps?.ToString(CultureInfo.InvariantCulture) ?? "default"}, 1 image each; {count}, closed loop";
            report.Provenance["engines"] = $"in process (AddFastAttn), {settings.Workers} worker(s) each, device {settings.Device}; " +
                $"batching: MaxBatch {settings.MaxBatch}, BatchWindow 0; without: MaxBatch 1; {parse.GetValue(reps)} interleaved rep(s), warmed up";
            ServeReport.Write(report, parse.GetValue(output)!);
            return ExitCodes.Ok;
        });
        return command;
    }
}
