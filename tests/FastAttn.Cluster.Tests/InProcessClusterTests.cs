using FastAttn.Cluster.Client;
using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Grains;
using FastAttn.Cluster.Hosting;
using FastAttn.Cluster.Options;
using FastAttn.Cluster.Tests.Support;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.TextToImage;
using Orleans.Runtime;
using Xunit;

namespace FastAttn.Cluster.Tests;

/// <summary>The cluster's fast paths on Orleans' in-process TestCluster (two silos).</summary>
[Collection(ClusterCollection.Name)]
public sealed class InProcessClusterTests(InProcessCluster fixture) : IClassFixture<InProcessCluster>
{
    private IGrainFactory Grains => fixture.Cluster.Client;

    /// <summary>
    /// The client side as an app would have it: IFastAttnCluster, the cluster engine and the plugin's faces; the cluster's
    /// registration before <c>AddFastAttn</c> or (<paramref name="clusterFirst"/> false) after it.
    /// </summary>
    private ServiceProvider ClientServices(bool clusterFirst = true)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(fixture.Cluster.Client);
        services.Configure<FastAttnClusterOptions>(o => { o.ResultStore = InProcessCluster.ResultStore; o.PollInterval = TimeSpan.FromMilliseconds(50); });
        if (clusterFirst) services.AddFastAttnClusterServices();
        services.AddFastAttn(o => o.OutputDirectory = Path.Combine(InProcessCluster.Root, "client-local"));
        if (!clusterFirst) services.AddFastAttnClusterServices();
        services.AddFastAttnImageGenerator();
        return services.BuildServiceProvider();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_cluster_engine_is_used_whichever_registration_comes_first(bool clusterFirst)
    {
        using var sp = ClientServices(clusterFirst);
        var engine = sp.GetRequiredService<IFastAttnEngine>();
        Assert.IsType<ClusterFastAttnEngine>(engine.GetService(typeof(ClusterFastAttnEngine)));
        Assert.Null(engine.GetService(typeof(FastAttnEngineService)));
        Assert.DoesNotContain(sp.GetServices<IHostedService>(), h => h.GetType().Name == "FastAttnEngineService");
        var r = await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "4", Model = "A", Preset = "raw", Steps = 3, Seed = 1 });
        Assert.Single(r.Images);
        Assert.Equal("clip", engine.DefaultVideoModel);
    }

    [Fact]
    public async Task Each_hosts_engine_batches_as_the_hosts_options_say()
    {
        var workers = await Grains.GetGrain<IWorkerRegistryGrain>(0).GetWorkersAsync();
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.Equal(3, w.MaxBatch));
    }

    /// <summary>How many times the silos' engines accepted a request like <paramref name="request"/> (prompt, steps, seed).</summary>
    private static int Generations(FastAttnImageRequest request) => RecordingEngineFactory.Accepted
        .Count(r => r.Prompt == request.Prompt && r.Steps == request.Steps && r.Seed == request.Seed);

    [Fact]
    public async Task The_job_id_is_the_idempotency_key()
    {
        using var sp = ClientServices();
        var cluster = sp.GetRequiredService<IFastAttnCluster>();
        var request = new FastAttnImageRequest { Prompt = "2", Model = "A", Preset = "raw", Steps = 20, Seed = 9 };
        var submits = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => cluster.SubmitAsync(request, "same-id")));
        Assert.Single(submits.Select(s => s.Submitted).Distinct());
        var done = await cluster.WaitAsync("same-id");
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(1, done.Attempt);
        var again = await cluster.SubmitAsync(request with { Seed = 10 }, "same-id");              // a retry after success: the same job
        Assert.Equal(JobStatus.Succeeded, again.Status);
        Assert.Equal([9L], again.Output!.Seeds);
        // Submits dispatch before they return and a finished job is never dispatched again, so the counts are final here.
        Assert.Equal(1, Generations(request));                                                     // generated once
        Assert.Equal(0, Generations(request with { Seed = 10 }));                                  // the retry ran nothing
        Assert.Single(Directory.GetFiles(Path.Combine(InProcessCluster.ResultStore, "same-id")));
    }

    [Fact]
    public async Task Faces_work_unchanged_against_the_cluster()
    {
        using var sp = ClientServices();
        var engine = sp.GetRequiredService<ClusterFastAttnEngine>();
        await engine.RefreshAsync();
        Assert.Equal(["A", "clip", "tiny-mnist"], engine.ModelNames);
        Assert.Equal("tiny-mnist", engine.DefaultModel);
        Assert.Equal(2, engine.Status.Concurrency);
        Assert.Equal([new System.Drawing.Size(32, 32)], await engine.GetSupportedSizesAsync());

        var uri = await sp.GetRequiredService<ITextToImageService>().GenerateImageAsync("a handwritten seven", 32, 32);
        var path = new Uri(uri).LocalPath;
        Assert.StartsWith(InProcessCluster.ResultStore, path, StringComparison.Ordinal);
        Png.AssertValid(path);

        var response = await sp.GetRequiredService<IImageGenerator>().GenerateImagesAsync("digit 4", new ImageGenerationOptions
        {
            Count = 2, AdditionalProperties = new AdditionalPropertiesDictionary { ["seed"] = 11L, ["steps"] = 10 },
        });
        Assert.Equal(2, response.Contents.Count);
        Assert.Equal(12L, Assert.IsType<DataContent>(response.Contents[1]).AdditionalProperties!["seed"]);

        var kernel = new Kernel(sp);
        kernel.Plugins.AddFromObject(sp.GetRequiredService<FastAttnImagePlugin>(), "fastattn");
        var text = (await kernel.InvokeAsync(kernel.Plugins.GetFunction("fastattn", "generate_image"),
            new KernelArguments { ["prompt"] = "draw the digit 7", ["seed"] = 3L, ["quality"] = "raw" })).GetValue<string>()!;
        Assert.StartsWith("Saved the image to " + InProcessCluster.ResultStore, text, StringComparison.Ordinal);
        var refused = (await kernel.InvokeAsync(kernel.Plugins.GetFunction("fastattn", "generate_image"),
            new KernelArguments { ["prompt"] = "a cat on a sofa" })).GetValue<string>()!;
        Assert.StartsWith("Could not generate:", refused, StringComparison.Ordinal);             // the host's typed error, carried back
    }

    [Fact]
    public async Task Clips_go_through_the_cluster_to_a_gif_in_the_store()
    {
        using var sp = ClientServices();
        var clip = await sp.GetRequiredService<IFastAttnEngine>().GenerateVideoAsync(
            new FastAttnVideoRequest { Prompt = "a red fox running in the snow", Frames = 3, Width = 48, Height = 32, Seed = 1, Preset = "raw" });
        Assert.StartsWith(InProcessCluster.ResultStore, clip.Path, StringComparison.Ordinal);
        Assert.Equal("clip.gif", Path.GetFileName(clip.Path));
        Assert.Equal("GIF89a", System.Text.Encoding.ASCII.GetString(clip.Gif, 0, 6));
        using var gif = SixLabors.ImageSharp.Image.Load(clip.Gif);
        Assert.Equal((48, 32, 3), (gif.Width, gif.Height, gif.Frames.Count));
        Assert.Equal(("clip", 1L), (clip.Model, clip.Seed));
    }

    [Fact]
    public async Task A_job_waiting_behind_others_is_cancelled_at_once_and_a_cancelled_call_cancels_its_job()
    {
        using var sp = ClientServices();
        var cluster = sp.GetRequiredService<IFastAttnCluster>();
        var longOnes = new List<JobSnapshot>();
        for (int i = 0; i < 2; i++)                                                                // one per worker
            longOnes.Add(await cluster.SubmitAsync(new FastAttnImageRequest { Prompt = "1", Model = "A", Preset = "raw", Steps = 1000, Count = 4, Seed = i }));
        var waiting = await cluster.SubmitAsync(new FastAttnImageRequest { Prompt = "1", Model = "A", Preset = "raw", Steps = 10, Seed = 5 });
        Assert.Equal(JobStatus.Dispatched, waiting.Status);
        var cancelled = await cluster.CancelAsync(waiting.JobId);
        Assert.True(cancelled.CancelRequested);
        Assert.Equal(JobStatus.Canceled, (await cluster.WaitAsync(waiting.JobId).WaitAsync(TimeSpan.FromSeconds(10))).Status);

        using var cts = new CancellationTokenSource();
        var engine = sp.GetRequiredService<IFastAttnEngine>();
        var call = engine.GenerateAsync(new FastAttnImageRequest { Prompt = "1", Model = "A", Preset = "raw", Steps = 1000, Count = 4, Seed = 8 }, cts.Token);
        await MultiHostCluster.EventuallyAsync(async () => (await cluster.GetWorkersAsync()).Sum(w => w.ActiveJobs) == 3, "the call's job on a worker", 30);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        foreach (var job in longOnes) await cluster.CancelAsync(job.JobId);
        foreach (var job in longOnes) Assert.Equal(JobStatus.Canceled, (await cluster.WaitAsync(job.JobId).WaitAsync(TimeSpan.FromSeconds(30))).Status);
        await MultiHostCluster.EventuallyAsync(async () => (await cluster.GetWorkersAsync()).All(w => w.ActiveJobs == 0), "every slot free", 30);
    }

    [Fact]
    public async Task A_plan_is_leased_to_one_host_at_a_time_and_passes_on_when_its_holder_is_gone()
    {
        var plan = Grains.GetGrain<IPlanGrain>("test-plan-" + Guid.NewGuid().ToString("N"));
        var live = fixture.Cluster.Primary!.SiloAddress;
        var leases = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => plan.AcquireAsync($"host{i}", live)));
        Assert.Single(leases, l => l.Search);
        var holder = $"host{Array.FindIndex(leases, l => l.Search)}";
        Assert.True((await plan.AcquireAsync(holder, live)).Search);                              // asked again by its holder
        await plan.ReleaseAsync(holder);                                                            // its search failed
        Assert.True((await plan.AcquireAsync("other", live)).Search);
        Assert.False((await plan.AcquireAsync("third", live)).Search);

        var gone = await plan.AcquireAsync("late", SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1), 1));
        Assert.False(gone.Search);                                                                  // "other" (live) still holds it
        var orphan = Grains.GetGrain<IPlanGrain>("test-plan-" + Guid.NewGuid().ToString("N"));
        Assert.True((await orphan.AcquireAsync("dead-host", SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1), 1))).Search);
        Assert.True((await orphan.AcquireAsync("live-host", live)).Search);                        // its holder is not a member: taken over
        await orphan.PublishAsync("live-host", "{}");
        Assert.Equal("{}", (await orphan.AcquireAsync("any", live)).PlanJson);
        var info = await orphan.GetInfoAsync();
        Assert.Equal((true, 2, "live-host"), (info.Published, info.Searches, info.SearchedBy));

        // Lease timeout 4 s in this cluster, on a clock the test turns (InProcessCluster.LeaseClock): no waiting, no slack.
        var clock = InProcessCluster.LeaseClock;
        var stale = Grains.GetGrain<IPlanGrain>("test-plan-" + Guid.NewGuid().ToString("N"));
        Assert.True((await stale.AcquireAsync("slow", live)).Search);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True((await stale.AcquireAsync("slow", live)).Search);                              // renewed
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.False((await stale.AcquireAsync("eager", live)).Search);                            // 3 s since the renewal: still held
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True((await stale.AcquireAsync("eager", live)).Search);                             // not renewed for 5 s: taken over
    }

    [Fact]
    public async Task Concurrent_jobs_needing_one_plan_search_it_once_across_silos()
    {
        using var sp = ClientServices();
        var cluster = sp.GetRequiredService<IFastAttnCluster>();
        var before = (await cluster.GetWorkersAsync()).Sum(w => w.PlanSearches);
        var request = new FastAttnImageRequest { Prompt = "8", Model = "A", Preset = "D3", Steps = 14 };
        var jobs = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => cluster.SubmitAsync(request with { Seed = i })));
        var done = await Task.WhenAll(jobs.Select(j => cluster.WaitAsync(j.JobId)));
        Assert.All(done, d => Assert.True(d.Status == JobStatus.Succeeded && d.Output!.Compressed, $"{d.Status} {d.Error?.Message}"));
        Assert.Equal(2, done.Select(d => d.Output!.Host).Distinct().Count());
        await MultiHostCluster.EventuallyAsync(async () => (await cluster.GetWorkersAsync()).Sum(w => w.PlanSearches) >= before + 1, "reports updated", 10);
        Assert.Equal(before + 1, (await cluster.GetWorkersAsync()).Sum(w => w.PlanSearches));
    }

    [Fact]
    public void The_engine_is_chosen_by_configuration()
    {
        bool addFastAttnFirst = false;
        IServiceProvider Build(string? clustering)
        {
            var builder = Host.CreateApplicationBuilder();
            if (clustering is not null) builder.Configuration["FastAttn:Cluster:Clustering"] = clustering;
            builder.Configuration["FastAttn:Cluster:ResultStore"] = Path.GetTempPath();
            if (addFastAttnFirst) builder.Services.AddFastAttn(builder.Configuration);
            builder.AddFastAttnEngine();
            if (!addFastAttnFirst) builder.Services.AddFastAttn(builder.Configuration);
            return builder.Build().Services;
        }
        static object? Inner(IServiceProvider sp, Type type) => sp.GetRequiredService<IFastAttnEngine>().GetService(type);
        foreach (var first in new[] { true, false })
        {
            addFastAttnFirst = first;
            Assert.IsType<FastAttnEngineService>(Inner(Build(null), typeof(FastAttnEngineService)));
            Assert.IsType<ClusterFastAttnEngine>(Inner(Build("redis"), typeof(ClusterFastAttnEngine)));
            Assert.Null(Inner(Build("redis"), typeof(FastAttnEngineService)));
            Assert.IsType<ClusterFastAttnEngine>(Inner(Build("localhost"), typeof(ClusterFastAttnEngine)));
            Assert.IsType<FastAttnTextToImageService>(Build("redis").GetRequiredService<ITextToImageService>());
            Assert.Throws<InvalidOperationException>(() => Build("zookeeper"));
        }
    }
}
