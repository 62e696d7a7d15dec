using System.Diagnostics.Metrics;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>
/// Request batching in the hosted engine, on the toy <see cref="GradientFamily"/> with a batch key: which queued requests
/// share a run (recorded by the family), the limits that split batches, the window, cancellation of one member, a bad
/// request, metrics and the status. Gates and a manual clock, never sleeps.
/// </summary>
[Collection(EngineCollection.Name)]
public class BatchingTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Queued_compatible_requests_run_as_one_batch_and_are_counted()
    {
        using var gate = new GenerationGate();
        var family = new GradientFamily(gate: gate, batching: true);
        await using var host = await StartAsync(family);
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        var (batches, sizes) = (new List<long>(), new List<long>());
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (i.Meter.Scope == meters && i.Name.StartsWith("fastattn.batch", StringComparison.Ordinal)) l.EnableMeasurementEvents(i); },
        };
        listener.SetMeasurementEventCallback<long>((i, value, _, _) => { lock (batches) (i.Name == "fastattn.batches" ? batches : sizes).Add(value); });
        listener.Start();

        var results = await BehindOneAsync(engine, gate, "b", "c", "d");

        Assert.Equal([["a"], ["b", "c", "d"]], family.Runs);
        Assert.Equal(["a", "b", "c", "d"], results.Select(r => r.Images[0].Subject));
        Assert.All(results, r => Assert.True(File.Exists(r.Images[0].Path)));
        Assert.Equal(results[1].Images[0].Png, (await Generate(engine, "b").WaitAsync(Guard)).Images[0].Png);   // as alone
        lock (batches)
        {
            Assert.Equal([1L, 1L, 1L], batches);
            Assert.Equal([1L, 3L, 1L], sizes);
        }
        var status = engine.Status;
        Assert.Equal((8, 3L, 5.0 / 3), (status.MaxBatch, status.Batches, status.MeanBatchSize));
        Assert.Same(TestHost.FixedCosts, family.CostModel);                                         // the app's cost model reaches models
    }

    [Fact]
    public async Task Requests_with_another_key_or_plan_run_separately_and_a_bad_request_fails_alone()
    {
        using var gate = new GenerationGate();
        var family = new GradientFamily(gate: gate, batching: true);
        await using var host = await StartAsync(family, o => { o.Preset = "D2"; o.SearchOnDemand = true; });
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();

        var a = Generate(engine, "a");
        await gate.WaitStartedAsync();
        var b = Generate(engine, "b");
        var big = Generate(engine, "big", r => r with { Width = 32, Height = 32 });                // another batch key
        var raw = Generate(engine, "raw", r => r with { Preset = "raw" });                          // another plan
        var bad = Generate(engine, "bad", r => r with { Width = 24, Height = 24 });                 // the model cannot draw it
        var e = Generate(engine, "e");
        gate.Open();

        var error = await Assert.ThrowsAsync<FastAttnRequestException>(() => bad.WaitAsync(Guard));
        Assert.Equal("size", error.Parameter);
        await a.WaitAsync(Guard);
        var (rb, rbig, rraw, re) = (await b.WaitAsync(Guard), await big.WaitAsync(Guard), await raw.WaitAsync(Guard), await e.WaitAsync(Guard));
        Assert.Equal([["a"], ["b", "e"], ["big"], ["raw"]], family.Runs);
        Assert.True(rb.Compressed && re.Compressed && !rraw.Compressed);
        Assert.Equal((32, "raw"), (rbig.Width, rraw.Preset));
    }

    [Theory]
    [InlineData(2, 0L)]                                                                             // items per batch
    [InlineData(8, 250L)]                                                                           // memory: 100 bytes an item
    public async Task MaxBatch_and_the_memory_cap_split_batches(int maxBatch, long maxBytes)
    {
        using var gate = new GenerationGate();
        var family = new GradientFamily(gate: gate, batching: true) { ItemBytes = 100 };
        await using var host = await StartAsync(family, o => { o.MaxBatch = maxBatch; o.MaxBatchBytes = maxBytes == 0 ? long.MaxValue : maxBytes; });
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();

        await BehindOneAsync(engine, gate, "b", "c", "d");

        Assert.Equal([["a"], ["b", "c"], ["d"]], family.Runs);
    }

    [Fact]
    public async Task MaxBatch_1_runs_every_request_alone()
    {
        using var gate = new GenerationGate();
        var family = new GradientFamily(gate: gate, batching: true);
        await using var host = await StartAsync(family, o => o.MaxBatch = 1);
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();

        await BehindOneAsync(engine, gate, "b", "c");

        Assert.Equal([["a"], ["b"], ["c"]], family.Runs);
        Assert.Equal((1, 3L, 1.0), (engine.Status.MaxBatch, engine.Status.Batches, engine.Status.MeanBatchSize));
    }

    [Fact]
    public async Task The_batch_window_waits_for_a_late_request_and_runs_alone_when_it_passes()
    {
        var time = new ManualTimeProvider();
        var family = new GradientFamily(batching: true);
        await using var host = await StartAsync(family, o => { o.MaxBatch = 2; o.BatchWindow = TimeSpan.FromMinutes(1); },
            s => s.AddSingleton<TimeProvider>(time));
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();

        var a = Generate(engine, "a");
        await time.WaitTimerAsync();                                                                // the batch waits for more
        var b = Generate(engine, "b");
        await Task.WhenAll(a, b).WaitAsync(Guard);
        Assert.Equal([["a", "b"]], family.Runs);

        var c = Generate(engine, "c");
        await time.WaitTimerAsync();
        Assert.False(c.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));                                                      // the window passes
        await c.WaitAsync(Guard);
        Assert.Equal([["a", "b"], ["c"]], family.Runs);
    }

    [Fact]
    public async Task A_cancelled_member_is_dropped_at_once_and_the_others_complete_intact()
    {
        using var gate = new GenerationGate();
        var family = new GradientFamily(gate: gate, batching: true);
        await using var host = await StartAsync(family);
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();

        using var cancel = new CancellationTokenSource();
        var started = await SecondBatchStartedAsync(engine, gate, ("b", cancel.Token), ("c", default));
        var (b, c) = (started[0], started[1]);                                                      // [b, c] on the device

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.WaitAsync(Guard));         // before the batch finishes
        gate.Release();
        var done = await c.WaitAsync(Guard);

        Assert.Equal([["a"], ["b", "c"]], family.Runs);
        Assert.Equal("c", done.Images[0].Subject);
        Assert.Equal(2, Directory.GetFiles(host.Output, "*.png", SearchOption.AllDirectories).Length);   // b's image dropped
    }

    [Fact]
    public async Task A_batch_whose_members_all_cancel_stops_running()
    {
        using var gate = new GenerationGate();
        var family = new GradientFamily(gate: gate, batching: true);
        await using var host = await StartAsync(family);
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();

        using var cancel = new CancellationTokenSource();
        var members = await SecondBatchStartedAsync(engine, gate, ("b", cancel.Token), ("c", cancel.Token));

        await cancel.CancelAsync();
        foreach (var m in members) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => m.WaitAsync(Guard));
        var d = Generate(engine, "d");
        await gate.WaitStartedAsync();                                                              // the worker is free: no release needed
        gate.Release();
        await d.WaitAsync(Guard);
        Assert.Equal([["a"], ["b", "c"], ["d"]], family.Runs);
    }

    [Fact]
    public async Task A_per_device_engine_from_the_factory_batches_with_the_hosts_options()
    {
        using var gate = new GenerationGate();
        var family = new GradientFamily(gate: gate, batching: true);
        await using var host = await StartAsync(family, o => o.MaxBatch = 2);
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<FastAttnOptions>>().Value.ForDevice("cpu");
        var engine = host.Services.GetRequiredService<IFastAttnEngineFactory>().Create(options);            // as a cluster host does
        try
        {
            await BehindOneAsync(engine, gate, "b", "c", "d");
            Assert.Equal([["a"], ["b", "c"], ["d"]], family.Runs);
            Assert.Equal((2, 3L), (engine.Status.MaxBatch, engine.Status.Batches));
            Assert.Same(TestHost.FixedCosts, family.CostModel);
        }
        finally
        {
            (engine as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public async Task Four_concurrent_tiny_mnist_requests_batched_give_the_images_of_each_alone()
    {
        static FastAttnImageRequest Request(long seed) => new() { Prompt = "7", Seed = seed, Preset = "raw", Steps = 5 };
        await using var batched = await TestHost.StartAsync(o => o.MaxBatch = 8);
        await using var alone = await TestHost.StartAsync(o => o.MaxBatch = 1);
        var together = await Task.WhenAll(Enumerable.Range(11, 4).Select(s =>
            batched.Services.GetRequiredService<IFastAttnEngine>().GenerateAsync(Request(s)))).WaitAsync(Guard);
        foreach (var result in together)
        {
            var single = await alone.Services.GetRequiredService<IFastAttnEngine>().GenerateAsync(Request(result.Images[0].Seed)).WaitAsync(Guard);
            Assert.Equal(single.Images[0].Png, result.Images[0].Png);
        }
    }

    /// <summary>"a" runs alone, held at the gate, while <paramref name="queued"/> queue behind it; then the gate opens.</summary>
    private static async Task<FastAttnImageResult[]> BehindOneAsync(IFastAttnEngine engine, GenerationGate gate, params string[] queued)
    {
        var a = Generate(engine, "a");
        await gate.WaitStartedAsync();
        var rest = queued.Select(p => Generate(engine, p)).ToArray();
        gate.Open();
        return await Task.WhenAll(rest.Prepend(a)).WaitAsync(Guard);
    }

    /// <summary>"a" runs alone while <paramref name="members"/> queue; "a" is let go; returns once their batch is on the device.</summary>
    private static async Task<Task<FastAttnImageResult>[]> SecondBatchStartedAsync(IFastAttnEngine engine, GenerationGate gate,
        params (string Prompt, CancellationToken Token)[] members)
    {
        var a = Generate(engine, "a");
        await gate.WaitStartedAsync();
        var tasks = members.Select(m => Generate(engine, m.Prompt, cancellationToken: m.Token)).ToArray();
        gate.Release();
        await a.WaitAsync(Guard);
        await gate.WaitStartedAsync();
        return tasks;
    }

    private static Task<TestHost> StartAsync(GradientFamily family, Action<FastAttnOptions>? configure = null,
        Action<IServiceCollection>? services = null) =>
        TestHost.StartAsync(o =>
        {
            o.Models["grad"] = new FastAttnModelOptions { Path = "gradient", Kind = "gradient" };
            o.DefaultModel = "grad";
            o.Preset = "raw";
            o.MaxBatch = 8;
            configure?.Invoke(o);
        }, s =>
        {
            s.AddFastAttnModelFamily(family);
            services?.Invoke(s);
        });

    private static Task<FastAttnImageResult> Generate(IFastAttnEngine engine, string prompt, Func<FastAttnImageRequest, FastAttnImageRequest>? edit = null,
        CancellationToken cancellationToken = default)
    {
        var request = new FastAttnImageRequest { Prompt = prompt, Seed = 1 };
        return engine.GenerateAsync(edit?.Invoke(request) ?? request, cancellationToken);
    }
}
