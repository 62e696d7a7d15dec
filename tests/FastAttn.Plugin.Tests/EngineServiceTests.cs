using System.Diagnostics.Metrics;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Diagnostics;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace FastAttn.Plugin.Tests;

[Collection(EngineCollection.Name)]
public class EngineServiceTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task TwentyConcurrentRequestsMatchTheirSingleRuns()
    {
        await using var host = await TestHost.StartAsync(o => o.QueueLength = 32);
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        FastAttnImageRequest Request(int i) => new() { Prompt = (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture), Seed = 100 + i, Steps = 6, Preset = "raw" };
        var all = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => engine.GenerateAsync(Request(i)))).WaitAsync(HangGuard);
        Assert.Equal(20, all.Length);
        foreach (int i in new[] { 0, 7, 19 })
        {
            var single = await engine.GenerateAsync(Request(i));
            Assert.Equal(single.Images[0].Png, all[i].Images[0].Png);
            Assert.Equal(100 + i, all[i].Images[0].Seed);
        }
        Assert.Equal(20 + 3, Directory.GetFiles(host.Output, "*.png").Length);
    }

    [Fact]
    public async Task AFullQueueFailsAtOnceAndCancellationStopsARunningJob()
    {
        using var gate = new GenerationGate();
        await using var host = await TestHost.StartAsync(o =>
        {
            o.QueueLength = 1;
            o.Concurrency = 1;
            o.Models["grad"] = new FastAttnModelOptions { Path = "gradient" };
        }, services => services.AddFastAttnModelFamily(new GradientFamily(gate: gate)));
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        using var cts = new CancellationTokenSource();
        var running = engine.GenerateAsync(new FastAttnImageRequest { Prompt = "held", Model = "grad", Preset = "raw" }, cts.Token);
        await gate.WaitStartedAsync();                                                               // generating now, held by the gate
        Assert.Equal(1, engine.Status.Running);
        using var cts2 = new CancellationTokenSource();
        var queued = engine.GenerateAsync(new FastAttnImageRequest { Prompt = "waits", Model = "grad", Preset = "raw" }, cts2.Token);
        var full = Assert.Throws<FastAttnQueueFullException>(() => { _ = engine.GenerateAsync(new FastAttnImageRequest { Prompt = "3" }); });
        Assert.Equal(1, full.Capacity);
        Assert.Equal(1, engine.Status.QueueDepth);

        await cts2.CancelAsync();                                                                   // cancelled while waiting
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.WaitAsync(HangGuard));
        await cts.CancelAsync();                                                                    // cancelled while generating
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(HangGuard));

        gate.Open();
        var after = await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "after", Model = "grad", Preset = "raw" }).WaitAsync(HangGuard);
        Assert.Single(after.Images);                                                                // the slot is free again
    }

    [Fact]
    public async Task AClipIsCancelledWhileGeneratingAndTheSlotServesImagesAfter()
    {
        using var gate = new GenerationGate();
        await using var host = await TestHost.StartAsync(o =>
        {
            o.Models["clips"] = new FastAttnModelOptions { Path = "gradient-clip" };
            o.DefaultVideoModel = "clips";
        }, services => services.AddFastAttnModelFamily(new GradientFamily("gradient-clip", Engine.Generation.OutputKind.Video, gate)));
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        using var cancel = new CancellationTokenSource();
        var clip = engine.GenerateVideoAsync(new FastAttnVideoRequest { Prompt = "waves", Preset = "raw" }, cancel.Token);
        await gate.WaitStartedAsync();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => clip.WaitAsync(HangGuard));
        gate.Open();
        var again = await engine.GenerateVideoAsync(new FastAttnVideoRequest { Prompt = "waves", Preset = "raw", Seed = 2 }).WaitAsync(HangGuard);
        Assert.Equal((3, 24, 16, 6.0), (again.Frames, again.Width, again.Height, again.Fps));
        Assert.Equal("GIF89a", System.Text.Encoding.ASCII.GetString(again.Gif, 0, 6));
        Assert.Single((await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "3", Steps = 3 }).WaitAsync(HangGuard)).Images);
    }

    [Fact]
    public async Task ABadModelPathFailsItsRequestsWhileOtherModelsServe()
    {
        await using var host = await TestHost.StartAsync(o => o.Models["broken"] = new FastAttnModelOptions { Path = "/nonexistent/model.safetensors" });
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        var e = await Assert.ThrowsAsync<FastAttnModelLoadException>(() => engine.GenerateAsync(new FastAttnImageRequest { Prompt = "1", Model = "broken" }));
        Assert.Contains("/nonexistent/model.safetensors", e.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateAsync(new FastAttnImageRequest { Prompt = "1", Model = "nope" }));
        Assert.Contains("tiny-mnist", unknown.Message, StringComparison.Ordinal);
        var ok = await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "1", Steps = 4, Preset = "raw" });
        Assert.Single(ok.Images);
        var health = await new FastAttnHealthCheck(engine).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("broken", health.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACorruptPlanFileIsNamedAndRawStillServes()
    {
        await using var host = await TestHost.StartAsync(o => o.Preset = "D2");
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        using (var model = ModelFamilyRegistry.Default.Load(BuiltInModels.Default))
        {
            var key = model.Prepare(new GenerationRequest { Prompt = "5", Steps = 7 }).PlanKey(CompressionPresets.Threshold("D2"));
            Directory.CreateDirectory(host.Plans);
            File.WriteAllText(Path.Combine(host.Plans, key.FileName), "{ not a plan");
        }
        var e = await Assert.ThrowsAsync<PlanFormatException>(() => engine.GenerateAsync(new FastAttnImageRequest { Prompt = "5", Steps = 7 }));
        Assert.Contains(host.Plans, e.Message, StringComparison.Ordinal);
        var raw = await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "5", Steps = 7, Preset = "raw" });
        Assert.False(raw.Compressed);
    }

    [Fact]
    public async Task WithoutAPlanItRunsUncompressedAndSaysSo()
    {
        await using var host = await TestHost.StartAsync(o => o.Preset = "D4");
        var r = await host.Services.GetRequiredService<IFastAttnEngine>().GenerateAsync(new FastAttnImageRequest { Prompt = "8", Steps = 3 });
        Assert.False(r.Compressed);
        Assert.Equal(1.0, r.AttentionFlopsFraction);
        Assert.Contains(r.Notes, n => n.Contains("ran uncompressed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ShippedPlansCompressDefaultRequests()
    {
        await using var host = await TestHost.StartAsync(o => o.Preset = "D6");
        var r = await host.Services.GetRequiredService<IFastAttnEngine>().GenerateAsync(new FastAttnImageRequest { Prompt = "2", Seed = 1 });
        Assert.True(r.Compressed, string.Join(" ", r.Notes));
        Assert.True(r.AttentionFlopsFraction < 1);
        Assert.NotNull(r.PlanPath);
    }

    [Fact]
    public async Task LimitsRejectOversizedRequestsBeforeQueueing()
    {
        await using var host = await TestHost.StartAsync(o => { o.Limits.MaxImages = 2; o.Limits.MaxPromptLength = 10; o.Limits.MaxSteps = 20; });
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        Assert.Equal("count", Assert.Throws<FastAttnRequestException>(() => { _ = engine.GenerateAsync(new FastAttnImageRequest { Prompt = "1", Count = 3 }); }).Parameter);
        Assert.Equal("prompt", Assert.Throws<FastAttnRequestException>(() => { _ = engine.GenerateAsync(new FastAttnImageRequest { Prompt = new string('7', 11) }); }).Parameter);
        Assert.Equal("steps", Assert.Throws<FastAttnRequestException>(() => { _ = engine.GenerateAsync(new FastAttnImageRequest { Prompt = "1", Steps = 21 }); }).Parameter);
        Assert.Equal("preset", Assert.Throws<FastAttnRequestException>(() => { _ = engine.GenerateAsync(new FastAttnImageRequest { Prompt = "1", Preset = "fast" }); }).Parameter);
        Assert.Equal(0, engine.Status.QueueDepth);
    }

    [Fact]
    public async Task MetricsHealthAndRetentionReportTheWork()
    {
        var generations = new List<(long Value, string Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == FastAttnTelemetry.Name) l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name != "fastattn.generations") return;
            foreach (var t in tags) if (t.Key == "fastattn.outcome") lock (generations) generations.Add((value, (string)t.Value!));
        });
        listener.Start();
        await using var host = await TestHost.StartAsync(o => o.Retention.MaxFiles = 2);
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        for (int i = 0; i < 3; i++) await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "9", Seed = i, Steps = 3, Preset = "raw" });
        Assert.Equal(2, Directory.GetFiles(host.Output, "*.png").Length);
        lock (generations) Assert.True(generations.Count(g => g.Outcome == "ok") >= 3, string.Join(", ", generations));
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Contains("tiny-mnist", health.Entries["fastattn"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ItWorksWithoutAHostToo()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new FastAttnOptions { OutputDirectory = Directory.CreateTempSubdirectory().FullName, Device = "cpu" });
        using var engine = new FastAttnEngineService(options);                                     // no host, no DI
        var r = await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "0", Steps = 3, Preset = "raw" }).WaitAsync(HangGuard);
        Assert.Single(r.Images);
        Directory.Delete(options.Value.OutputDirectory!, recursive: true);
    }
}
