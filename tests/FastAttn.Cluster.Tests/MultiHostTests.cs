using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Grains;
using FastAttn.Cluster.Tests.Support;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FastAttn.Cluster.Tests;

/// <summary>
/// Three silo processes on 127.0.0.1 with Redis clustering: h1 serves model A, h2 serves A and B, h3 serves B (tiny
/// random-weight DiTs). Routing by model affinity, one load per model and host, one plan search for concurrent requests,
/// cancellation in flight — through the real client, with results read from the shared store.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MultiHostTests(MultiHostTests.ThreeHosts hosts) : IClassFixture<MultiHostTests.ThreeHosts>
{
    public sealed class ThreeHosts : IAsyncLifetime
    {
        public MultiHostCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync() => Cluster = await MultiHostCluster.StartAsync(("h1", ["A"]), ("h2", ["A", "B"]), ("h3", ["B"]));

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }

    private MultiHostCluster Cluster => hosts.Cluster;

    [Fact]
    public async Task Jobs_go_to_a_host_with_their_model_loaded_and_each_host_loads_a_model_once()
    {
        var onB = new List<string>();
        var onA = new List<string>();
        for (int i = 0; i < 3; i++) onB.Add((await RunAsync("B", seed: i)).Host);
        for (int i = 0; i < 4; i++) onA.Add((await RunAsync("A", seed: i)).Host);
        for (int i = 3; i < 5; i++) onB.Add((await RunAsync("b", seed: i)).Host);                // names are case-insensitive

        Assert.Single(onB.Distinct());                                                            // the first B host keeps B's jobs
        Assert.Single(onA.Distinct());
        Assert.NotEqual("h1", onB[0]);                                                            // h1 cannot serve B
        Assert.NotEqual("h3", onA[0]);                                                            // h3 cannot serve A
        var workers = await Cluster.WorkersAsync();
        Assert.Equal(["h1", "h2", "h3"], workers.Keys.Order().ToArray());
        Assert.Contains("B", workers[onB[0]].Loaded);
        Assert.Contains("A", workers[onA[0]].Loaded);
        foreach (var w in workers.Values)
            foreach (var (model, loads) in w.ModelLoads)
                Assert.True(loads == 1, $"{w.Host} loaded {model} {loads} times");
    }

    [Fact]
    public async Task Concurrent_jobs_on_two_hosts_that_need_one_plan_search_it_once()
    {
        var before = (await Cluster.WorkersAsync()).Values.Sum(w => w.PlanSearches);
        var request = new FastAttnImageRequest { Prompt = "4", Model = "A", Preset = "D4", Steps = 12 };
        var jobs = await Task.WhenAll(Cluster.Client.SubmitAsync(request with { Seed = 1 }), Cluster.Client.SubmitAsync(request with { Seed = 2 }));
        var done = await Task.WhenAll(jobs.Select(j => Cluster.Client.WaitAsync(j.JobId)));

        Assert.All(done, d => Assert.True(d.Status == JobStatus.Succeeded, $"{d.Status}: {d.Error?.Message}\n{Cluster.Logs}"));
        Assert.NotEqual(done[0].Output!.Host, done[1].Output!.Host);                             // the second went to a free host
        Assert.All(done, d => Assert.True(d.Output!.Compressed && d.Output.AttentionFlopsFraction < 1, "the D4 plan was applied"));
        var after = (await Cluster.WorkersAsync()).Values.Sum(w => w.PlanSearches);
        Assert.Equal(1, after - before);                                                          // one search cluster-wide
        var key = Path.GetFileNameWithoutExtension(done[0].Output!.PlanPath)!;
        Assert.Equal(key, Path.GetFileNameWithoutExtension(done[1].Output!.PlanPath));
        var info = await Cluster.Services.GetRequiredService<IClusterClient>().GetGrain<IPlanGrain>(key).GetInfoAsync();
        Assert.True(info.Published);
        Assert.Equal(1, info.Searches);
        foreach (var d in done) Assert.True(File.Exists(Path.Combine(Cluster.Root, "plans-" + d.Output!.Host, key + ".json")), $"plan cached on {d.Output.Host}");
    }

    [Fact]
    public async Task A_job_cancelled_in_flight_ends_cancelled_and_frees_its_slot()
    {
        var job = await Cluster.Client.SubmitAsync(new FastAttnImageRequest { Prompt = "5", Model = "B", Preset = "raw", Steps = 1000, Count = 16, Seed = 7 });
        var host = await Cluster.WaitUntilGeneratingAsync(job.JobId);

        var cancelled = await Cluster.Client.CancelAsync(job.JobId);
        Assert.True(cancelled.CancelRequested);
        var end = await Cluster.Client.WaitAsync(job.JobId).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Canceled, end.Status);
        Assert.False(Directory.Exists(Path.Combine(Cluster.ResultStore, job.JobId)));
        await Assert.ThrowsAsync<OperationCanceledException>(() => Cluster.Client.GetImagesAsync(job.JobId));

        await MultiHostCluster.EventuallyAsync(async () => (await Cluster.WorkersAsync())[host] is { Running: 0, ActiveJobs: 0 }, "the slot freed", 15);
        var next = await RunAsync("B", seed: 3);                                                 // B is loaded there: the freed slot takes it
        Assert.Equal(host, next.Host);
    }

    [Fact]
    public async Task Bad_requests_fail_with_the_plugins_typed_errors()
    {
        var unknown = await Assert.ThrowsAsync<FastAttnRequestException>(async () =>
            await Cluster.Client.GetImagesAsync((await Cluster.Client.SubmitAsync(new FastAttnImageRequest { Prompt = "1", Model = "C" })).JobId));
        Assert.Contains("Unknown model 'C'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("A, B", unknown.Message, StringComparison.Ordinal);
        var steps = await Assert.ThrowsAsync<FastAttnRequestException>(async () =>
            await Cluster.Client.GetImagesAsync((await Cluster.Client.SubmitAsync(new FastAttnImageRequest { Prompt = "1", Model = "A", Steps = 1001 })).JobId));
        Assert.Equal("steps", steps.Parameter);
        Assert.Equal(JobStatus.Unknown, (await Cluster.Client.GetAsync("never-submitted")).Status);
        await Assert.ThrowsAsync<FastAttnRequestException>(() => Cluster.Client.GetAsync("../etc"));
    }

    private async Task<JobOutput> RunAsync(string model, int seed)
    {
        var job = await Cluster.Client.SubmitAsync(new FastAttnImageRequest { Prompt = "3", Model = model, Preset = "raw", Steps = 8, Seed = seed });
        var done = await Cluster.Client.WaitAsync(job.JobId).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(done.Status == JobStatus.Succeeded, $"{done.Status}: {done.Error?.Message}\n{Cluster.Logs}");
        foreach (var file in done.Output!.Files) Png.AssertValid(Path.Combine(Cluster.ResultStore, job.JobId, file));
        return done.Output;
    }
}
