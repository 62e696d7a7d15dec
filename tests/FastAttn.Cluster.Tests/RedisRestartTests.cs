using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Tests.Support;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Cluster.Tests;

/// <summary>
/// Redis (membership, jobs, plans) restarted under a running cluster: its own redis-server with append-only persistence,
/// stopped with SHUTDOWN while jobs generate and started again on the same folder. Every job finishes — one whose outcome
/// arrived while Redis was down is saved once it is back — none is lost, none yields two results, and the ids still
/// name the same jobs (persisted, reloaded from Redis after their grains are deactivated).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_restarted_under_running_jobs_loses_none_and_delivers_each_once()
    {
        using var redis = PersistentRedis.Start();
        await using var cluster = await MultiHostCluster.StartAsync(RedisServer.External(redis.Connection), ("r1", ["A"]));
        var ids = Enumerable.Range(0, 3).Select(i => $"redis-restart-{i}").ToArray();
        var submitted = new Dictionary<string, DateTime>();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var request = new FastAttnImageRequest { Prompt = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Model = "A",
                Preset = "raw", Steps = 1000, Count = 1, Seed = 10 * i };
            submitted[id] = (await cluster.Client.SubmitAsync(request, id)).Submitted;
        }
        await MultiHostCluster.EventuallyAsync(async () => (await cluster.WorkersAsync())["r1"].Running >= 1, "jobs generating");
        await redis.ShutdownAsync();
        output.WriteLine("redis stopped while the first job generates");
        await MultiHostCluster.EventuallyAsync(() => Task.FromResult(Directory.Exists(Path.Combine(cluster.ResultStore, ids[0]))),
            "the first job's files committed while Redis is down", seconds: 600);
        redis.Restart();
        output.WriteLine("redis started again on the same append-only folder");

        foreach (var id in ids)
        {
            var done = await cluster.Client.WaitAsync(id).WaitAsync(TimeSpan.FromMinutes(5));   // a hang guard, not a timing
            output.WriteLine($"{id}: {done.Status}, attempt {done.Attempt}");
            Assert.True(done.Status == JobStatus.Succeeded, $"{id}: {done.Status} {done.Error?.Message}\n{cluster.Logs}");
        }
        var grains = cluster.Services.GetRequiredService<IClusterClient>();
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);      // the next read comes from Redis
        foreach (var id in ids)
        {
            var reloaded = await cluster.Client.GetAsync(id);
            Assert.Equal(JobStatus.Succeeded, reloaded.Status);                                 // the outcome was persisted
            Assert.Equal(submitted[id], reloaded.Submitted);                                    // the same job, not a new one
            var again = await cluster.Client.SubmitAsync(new FastAttnImageRequest { Prompt = "9", Model = "A" }, id);
            Assert.Equal(submitted[id], again.Submitted);                                       // the id is still its idempotency key
            var folder = Path.Combine(cluster.ResultStore, id);
            Assert.Equal(["image-0.png"], Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order().ToArray());
            foreach (var f in Directory.GetFiles(folder)) Png.AssertValid(f);
        }
        var staging = Path.Combine(cluster.ResultStore, ".staging");
        Assert.True(!Directory.Exists(staging) || Directory.GetFileSystemEntries(staging).Length == 0, "no staged leftovers");
        Assert.Equal(ids.Order().ToArray(), Directory.GetDirectories(cluster.ResultStore).Select(d => Path.GetFileName(d))
            .Where(d => !d.StartsWith('.')).Order().ToArray());
    }
}
