using System.Diagnostics;
using FastAttn.Cluster.Hosting;
using System.Globalization;
using FastAttn.Cluster.Client;
using FastAttn.Cluster.Contracts;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastAttn.Cli.Commands;

/// <summary>One measurement of <c>bench cluster</c>: N silo processes on this machine, a batch of jobs, its wall time.</summary>
/// <param name="Hosts">Silo processes.</param>
/// <param name="Jobs">Jobs measured.</param>
/// <param name="Seconds">Wall time from the first submit to the last result.</param>
/// <param name="PerHost">Jobs each host ran.</param>
internal sealed record ClusterRun(int Hosts, int Jobs, double Seconds, IReadOnlyDictionary<string, int> PerHost);

/// <summary>
/// Starts <c>fastattn-silo</c> processes with localhost clustering (each limited to a number of LibTorch threads, as a
/// host is to its device), connects a client, loads the model on every host, then submits a batch of jobs at once.
/// </summary>
internal static class ClusterThroughput
{
    public static async Task<ClusterRun> RunAsync(string siloDll, int hosts, int jobs, FastAttnImageRequest request, int threads, IProgress<string>
        progress,
        CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("fastattn-bench-cluster").FullName;
        var id = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var ports = Enumerable.Range(0, 2 * hosts).Select(_ => LocalSiloProcess.FreePort()).ToArray();
        var settings = new Dictionary<string, string?>
        {
            ["FastAttn:Cluster:Clustering"] = "localhost", ["FastAttn:Cluster:ClusterId"] = id, ["FastAttn:Cluster:ServiceId"] = id,
            ["FastAttn:Cluster:ResultStore"] = Path.Combine(root, "results"), ["FastAttn:Cluster:PrimarySiloPort"] =
                ports[0].ToString(CultureInfo.InvariantCulture),
            ["FastAttn:Cluster:GatewayPort"] = ports[hosts].ToString(CultureInfo.InvariantCulture),
        };
        var silos = new List<LocalSiloProcess>();
        IHost? client = null;
        try
        {
            for (int i = 0; i < hosts; i++)
            {
                progress.Report($"starting host {i + 1}/{hosts}");
                silos.Add(await StartSiloAsync(siloDll, root, $"host{i + 1}", ports[i], ports[hosts + i], settings, jobs, threads,
                    cancellationToken));
            }
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(settings);
            builder.AddFastAttnClusterClient();
            client = builder.Build();
            await client.StartAsync(cancellationToken);
            var cluster = client.Services.GetRequiredService<IFastAttnCluster>();
            while ((await cluster.GetWorkersAsync(cancellationToken)).Count < hosts) await Task.Delay(200, cancellationToken);

            progress.Report($"warming up: the model on each of {hosts} hosts");
            await RunBatchAsync(cluster, request, hosts, 1_000_000, cancellationToken);
            progress.Report($"measuring: {jobs} jobs on {hosts} hosts");
            var stopwatch = Stopwatch.StartNew();
            var done = await RunBatchAsync(cluster, request, jobs, 0, cancellationToken);
            var seconds = stopwatch.Elapsed.TotalSeconds;
            var perHost = done.GroupBy(d => d.Output!.Host).ToDictionary(g => g.Key, g => g.Count());
            return new ClusterRun(hosts, jobs, seconds, perHost);
        }
        finally
        {
            if (client is not null)
            {
                try { await client.StopAsync(CancellationToken.None); } catch (OperationCanceledException) { }
                client.Dispose();
            }
            foreach (var silo in silos) silo.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Submits <paramref name="count"/> jobs at once (seeds from <paramref name="seed"/>) and waits for all.</summary>
    private static async Task<JobSnapshot[]> RunBatchAsync(IFastAttnCluster cluster, FastAttnImageRequest request, int count, long seed,
        CancellationToken cancellationToken)
    {
        var jobs = await Task.WhenAll(Enumerable.Range(0, count).Select(i => cluster.SubmitAsync(request with { Seed = seed + i }, null,
            cancellationToken)));
        var done = await Task.WhenAll(jobs.Select(j => cluster.WaitAsync(j.JobId, cancellationToken)));
        foreach (var d in done.Where(d => d.Status != JobStatus.Succeeded))
            throw new InvalidOperationException($"Job {d.JobId} ended {d.Status}: {d.Error?.Message}");
        return done;
    }

    private static Task<LocalSiloProcess> StartSiloAsync(string siloDll, string root, string name, int siloPort, int gatewayPort,
        Dictionary<string, string?> settings, int queue, int threads, CancellationToken cancellationToken) =>
        LocalSiloProcess.StartAsync(siloDll, name, root, new Dictionary<string, string?>(settings)
        {
            ["FastAttn:Cluster:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["FastAttn:Cluster:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture), ["FastAttn:Cluster:Devices:0"] = "cpu",
            ["FastAttn:Device"] = "cpu", ["FastAttn:Threads"] = threads.ToString(CultureInfo.InvariantCulture),
            ["FastAttn:QueueLength"] = Math.Max(16, queue).ToString(CultureInfo.InvariantCulture),
            ["FastAttn:OutputDirectory"] = Path.Combine(root, "local-" + name), ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:FastAttn.Cluster.Hosting"] = "Information",
        }, TimeSpan.FromSeconds(90), cancellationToken: cancellationToken);
}
