using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using FastAttn.Cli.Reporting;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>bench serve --url</c>: closed-loop clients sending <c>POST /v1/images/generations</c> to a running FastAttn server
/// (docs/http-api.md) over HTTP. The server's batching cannot be switched from here (it is its <c>FastAttn:MaxBatch</c>):
/// each measurement reads the mean batch size the server ran from its <c>/metrics</c> instead.
/// </summary>
internal sealed class HttpServeThroughput(HttpClient http, HttpServeRequest request) : IDisposable
{
    /// <summary>A client for the server at <paramref name="url"/> (its root; <paramref name="apiKey"/> as a bearer key).</summary>
    public static HttpServeThroughput Create(string url, string? apiKey, HttpServeRequest request)
    {
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--url must be the server's http(s) root, e.g. http://127.0.0.1:5080 (got '{url}').");
        var http = new HttpClient { BaseAddress = root, Timeout = TimeSpan.FromMinutes(30) };
        if (!string.IsNullOrEmpty(apiKey)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new HttpServeThroughput(http, request);
    }

    /// <summary>
    /// Measures <paramref name="counts"/> clients (<paramref name="total"/> requests each measurement) against the server at
    /// <paramref name="url"/>, <paramref name="reps"/> times in alternating order, and writes the report to <paramref name="output"/>.
    /// </summary>
    public static async Task RunAsync(string url, string? apiKey, HttpServeRequest request, IReadOnlyList<int> counts, Func<int, int> total,
        int reps, string output, CancellationToken cancellationToken)
    {
        using var bench = Create(url, apiKey, request);
        Console.Error.WriteLine($"warming up the server at {url}");
        await bench.WarmUpAsync(counts.Max(), cancellationToken).ConfigureAwait(false);
        var batching = await bench.BatchingAsync(cancellationToken).ConfigureAwait(false);
        var runs = new List<ServeRun>();
        for (int rep = 0; rep < reps; rep++)
            foreach (var k in rep % 2 == 0 ? counts : counts.Reverse())
            {
                var run = await bench.MeasureAsync(k, total(k), cancellationToken).ConfigureAwait(false);
                Console.Error.WriteLine($"rep {rep + 1}: {k} client(s) over HTTP: {run.Images / run.Seconds:F2} images/s");
                runs.Add(run);
            }
        var report = Report(runs, counts, batching);
        report.Provenance["server"] = url;
        report.Provenance["client machine"] =
            $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
        report.Provenance["requests"] = $"POST /v1/images/generations, model {request.Model ?? "default"}, preset {request.Preset ?? "default"}, "
            + $"steps {request.Steps?.ToString(CultureInfo.InvariantCulture) ?? "default"}, 1 image each, b64_json; closed loop; {reps} rep(s)";
        report.Provenance["batching"] = "the server's own (FastAttn:MaxBatch; cannot be switched remotely: restart the server with "
            + "FastAttn__MaxBatch=1 for batching off); meanBatchSize read from its /metrics (empty when unreadable)";
        Write(report, output);
    }

    /// <summary>One request alone and one per client of the largest run, so the model and its plan are loaded.</summary>
    public async Task WarmUpAsync(int clients, CancellationToken cancellationToken)
    {
        await MeasureAsync(1, 1, cancellationToken).ConfigureAwait(false);
        await MeasureAsync(clients, clients, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="clients"/> clients sending <paramref name="total"/> requests (one image each).</summary>
    public async Task<ServeRun> MeasureAsync(int clients, int total, CancellationToken cancellationToken)
    {
        var before = await BatchesAsync(cancellationToken).ConfigureAwait(false);
        var (latencies, seconds) = await ClosedLoop.RunAsync(clients, total, async (client, n) =>
        {
            var body = ImagesApiBody.Of(new Plugin.Hosting.FastAttnImageRequest
            {
                Prompt = ((client + n) % 10).ToString(CultureInfo.InvariantCulture), Model = request.Model, Preset = request.Preset,
                Steps = request.Steps, Seed = 1000 + n,
            });
            using var response = await http.PostAsJsonAsync("v1/images/generations", body, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"The server answered {(int)response.StatusCode}: {text}");
        }, cancellationToken).ConfigureAwait(false);
        var after = await BatchesAsync(cancellationToken).ConfigureAwait(false);
        return new ServeRun(clients, false, total, seconds, latencies, (long)(after.Count - before.Count), after.Sum - before.Sum);
    }

    /// <summary>The server's batching as its <c>/v1/fastattn/config</c> says (<c>server: MaxBatch 8</c>), or <c>server's</c>.</summary>
    public async Task<string> BatchingAsync(CancellationToken cancellationToken)
    {
        try
        {
            var config = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("v1/fastattn/config", cancellationToken)
                .ConfigureAwait(false);
            return config.TryGetProperty("max_batch", out var max) ? $"server: MaxBatch {max.GetInt32()}" : "server's";
        }
        catch (HttpRequestException) { return "server's"; }
    }

    /// <summary>The server's batches so far and their items (its <c>fastattn_batch_size</c> histogram); zeros when unreadable.</summary>
    private async Task<(double Count, double Sum)> BatchesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var text = await http.GetStringAsync("metrics", cancellationToken).ConfigureAwait(false);
            double Total(string name) => text.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
            return (Total("fastattn_batch_size_count"), Total("fastattn_batch_size_sum"));
        }
        catch (HttpRequestException) { return (0, 0); }
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

    /// <summary>The rows: per client count, images per second (median), latency p50/p95, the server's mean batch size.</summary>
    public static BenchReport Report(IReadOnlyList<ServeRun> runs, IReadOnlyList<int> clients, string batching)
    {
        var report = new BenchReport("Serving over HTTP: images per second from a running FastAttn server", ServeReport.Columns);
        foreach (var k in clients)
        {
            var mine = runs.Where(r => r.Clients == k).ToArray();
            if (mine.Length == 0) continue;
            var latencies = mine.SelectMany(r => r.Latencies).Order().ToArray();
            long batches = mine.Sum(r => r.Batches);
            report.Add(new()
            {
                ["clients"] = k, ["batching"] = batching, ["transport"] = "http",
                ["imagesPerSecond"] = ServeReport.Percentile(mine.Select(r => r.Images / r.Seconds).Order().ToArray(), 0.5),
                ["p50Seconds"] = ServeReport.Percentile(latencies, 0.50), ["p95Seconds"] = ServeReport.Percentile(latencies, 0.95),
                ["meanBatchSize"] = batches == 0 ? null : mine.Sum(r => r.Items) / batches, ["speedup"] = null,
                ["images"] = mine.Sum(r => r.Images), ["reps"] = mine.Length,
            });
        }
        return report;
    }

    /// <summary>Prints and writes the report; the PNG: images per second by client count.</summary>
    public static void Write(BenchReport report, string basePath) => report.Write(basePath, plot =>
    {
        var rows = report.Rows.ToArray();
        BenchReport.AddBars(plot, rows, 1, 0, r => (double)r["imagesPerSecond"]!, ScottPlot.Colors.SteelBlue, "over HTTP");
        plot.Axes.Bottom.SetTicks(rows.Select((_, i) => (double)i).ToArray(), rows.Select(r => $"{r["clients"]} client(s)").ToArray());
        plot.Axes.Left.Label.Text = "images per second";
        plot.Axes.Margins(bottom: 0);
    });
}

/// <summary>What each HTTP client asks for (null: the server's default).</summary>
/// <param name="Model">The model.</param>
/// <param name="Preset">The preset.</param>
/// <param name="Steps">Denoising steps.</param>
internal sealed record HttpServeRequest(string? Model, string? Preset, int? Steps);
