using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastAttn.Cli.Commands;

/// <summary>One measurement of <c>bench serve</c>: K clients, batching on or off, its requests' latencies and wall time.</summary>
/// <param name="Clients">Concurrent clients.</param>
/// <param name="Batching">Whether the engine batched.</param>
/// <param name="Images">Images generated.</param>
/// <param name="Seconds">Wall time from the first request to the last result.</param>
/// <param name="Latencies">Seconds from each request's call to its result (queue included).</param>
/// <param name="Batches">Batches the engine ran.</param>
/// <param name="Items">Items in those batches.</param>
internal sealed record ServeRun(int Clients, bool Batching, int Images, double Seconds, IReadOnlyList<double> Latencies, long Batches, double Items);

/// <summary>
/// Two hosted engines in this process, built by the plugin's DI (<c>AddFastAttn</c>) with the same workers and threads:
/// one batching (<c>MaxBatch</c>), one not (<c>MaxBatch = 1</c>). Closed-loop clients: each sends its next request when
/// the last returned, until the run's count is reached.
/// </summary>
internal sealed class ServeThroughput : IAsyncDisposable
{
    private readonly IHost _on, _off;
    private readonly string _root;

    private ServeThroughput(IHost on, IHost off, string root) => (_on, _off, _root) = (on, off, root);

    /// <summary>Starts both engines and warms each up (the model loaded, one request and one full batch run).</summary>
    public static async Task<ServeThroughput> StartAsync(ServeSettings settings, CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("fastattn-bench-serve").FullName;
        var on = await StartHostAsync(settings, settings.MaxBatch, Path.Combine(root, "on"), cancellationToken);
        var off = await StartHostAsync(settings, 1, Path.Combine(root, "off"), cancellationToken);
        var bench = new ServeThroughput(on, off, root);
        foreach (var batching in new[] { true, false })
        {
            await bench.MeasureAsync(1, 1, batching, settings, cancellationToken);
            await bench.MeasureAsync(settings.MaxBatch, settings.MaxBatch, batching, settings, cancellationToken);
        }
        return bench;
    }

    /// <summary>Runs <paramref name="clients"/> clients sending <paramref name="total"/> requests through one engine.</summary>
    public async Task<ServeRun> MeasureAsync(int clients, int total, bool batching, ServeSettings settings, CancellationToken cancellationToken)
    {
        var engine = (batching ? _on : _off).Services.GetRequiredService<IFastAttnEngine>();
        var before = engine.Status;
        var (latencies, seconds) = await ClosedLoop.RunAsync(clients, total, (client, n) =>
        {
            var digit = ((client + n) % 10).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return engine.GenerateAsync(settings.Request with { Seed = settings.Request.Seed + n, Prompt = digit }, cancellationToken);
        }, cancellationToken).ConfigureAwait(false);
        var after = engine.Status;
        return new ServeRun(clients, batching, total, seconds, latencies, after.Batches - before.Batches,
            after.MeanBatchSize * after.Batches - before.MeanBatchSize * before.Batches);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var host in new[] { _on, _off })
        {
            await host.StopAsync().ConfigureAwait(false);
            host.Dispose();
        }
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }

    private static async Task<IHost> StartHostAsync(ServeSettings settings, int maxBatch, string output, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddFastAttn(o =>
        {
            o.DefaultModel = settings.Request.Model ?? o.DefaultModel;
            o.Device = settings.Device;
            o.Concurrency = settings.Workers;
            o.MaxBatch = maxBatch;
            o.QueueLength = Math.Max(o.QueueLength, 2 * Math.Max(settings.MaxClients, settings.MaxBatch));
            o.Threads = settings.Threads;
            o.OutputDirectory = output;
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        return host;
    }
}

/// <summary>What <c>bench serve</c> sends and how the engines are set up.</summary>
/// <param name="Request">The request each client sends (seed and digit varied per request).</param>
/// <param name="MaxBatch">The batching engine's <c>MaxBatch</c>.</param>
/// <param name="Workers">Workers of both engines (<c>Concurrency</c>).</param>
/// <param name="Threads">LibTorch threads (process-wide; null: LibTorch's default).</param>
/// <param name="Device">Compute device.</param>
/// <param name="MaxClients">The most clients of any run (sizes the queue).</param>
internal sealed record ServeSettings(FastAttnImageRequest Request, int MaxBatch, int Workers, int? Threads, string Device, int MaxClients);
