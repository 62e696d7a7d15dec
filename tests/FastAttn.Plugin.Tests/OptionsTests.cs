using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Diagnostics;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.TextToImage;
using Xunit;

namespace FastAttn.Plugin.Tests;

public class OptionsTests
{
    [Fact]
    public void ConfigurationBindsAndKeyedServicesExistPerModel()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FastAttn:Preset"] = "D3",
            ["FastAttn:QueueLength"] = "5",
            ["FastAttn:Models:digits:Path"] = "tiny-mnist",
            ["FastAttn:Models:digits:Steps"] = "20",
            ["FastAttn:Limits:MaxImages"] = "2",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddFastAttn(config);
        services.AddFastAttnImageGenerator().UseLogging();
        using var sp = services.BuildServiceProvider();
        var options = sp.GetRequiredService<IOptions<FastAttnOptions>>().Value;
        Assert.Equal("D3", options.Preset);
        Assert.Equal(5, options.QueueLength);
        Assert.Equal(20, options.Models["digits"].Steps);
        Assert.Equal(2, options.Limits.MaxImages);
        var engine = sp.GetRequiredService<IFastAttnEngine>();
        Assert.IsType<FastAttn.Plugin.Diagnostics.TelemetryFastAttnEngine>(engine);                  // AddFastAttn's default decorator
        Assert.Same(sp.GetRequiredService<FastAttnEngineService>(), engine.GetService(typeof(FastAttnEngineService)));
        Assert.Single(sp.GetServices<IHostedService>(), h => h.GetType().Name == "LocalEngineHost");
        Assert.IsType<FastAttn.Plugin.SemanticKernel.FastAttnTextToImageService>(sp.GetRequiredService<ITextToImageService>());
        Assert.Equal("digits", sp.GetRequiredKeyedService<ITextToImageService>("digits").Attributes["ModelId"]);
        Assert.Equal("tiny-mnist", sp.GetRequiredKeyedService<ITextToImageService>("tiny-mnist").Attributes["ModelId"]);
        var generator = sp.GetRequiredService<IImageGenerator>();
        Assert.IsNotType<FastAttn.Plugin.ExtensionsAI.FastAttnImageGenerator>(generator);                       // wrapped by UseLogging
        Assert.Equal("fastattn", generator.GetService<ImageGeneratorMetadata>()!.ProviderName);
        Assert.Contains(sp.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations, r => r.Name == "fastattn");
    }

    [Theory]
    [InlineData("QueueLength", "0", "FastAttn:QueueLength")]
    [InlineData("Concurrency", "-1", "FastAttn:Concurrency")]
    [InlineData("Preset", "D9", "FastAttn:Preset")]
    [InlineData("Device", "tpu", "FastAttn:Device")]
    [InlineData("DefaultModel", "nope", "FastAttn:DefaultModel")]
    [InlineData("Models:x:Steps", "0", "FastAttn:Models:x:Steps")]
    [InlineData("Models:x:Scheduler", "euler", "FastAttn:Models:x:Scheduler")]
    [InlineData("Models:x:Kind", "unet", "FastAttn:Models:x:Kind")]
    [InlineData("Limits:MaxSteps", "0", "FastAttn:Limits:MaxSteps")]
    public async Task BadOptionsStopTheHostWithTheKeyNamed(string key, string value, string named)
    {
        var values = new Dictionary<string, string?> { ["FastAttn:Models:x:Path"] = "tiny-mnist", [$"FastAttn:{key}"] = value };
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.AddFastAttn(builder.Configuration);
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KernelBuilderRegistersTheServiceAndThePlugin()
    {
        var builder = Kernel.CreateBuilder();
        builder.AddFastAttnTextToImage("digits", "tiny-mnist").AddFastAttnPlugin();
        var kernel = builder.Build();
        Assert.Equal("tiny-mnist", kernel.GetRequiredService<ITextToImageService>("digits").Attributes["ModelId"]);
        Assert.True(kernel.Plugins.TryGetFunction("fastattn", "generate_image", out _));
    }

    [Fact]
    public void AMissingModelPathIsNamed()
    {
        var result = new FastAttnOptionsValidator().Validate(null, new FastAttnOptions { Models = { ["x"] = new FastAttnModelOptions() } });
        Assert.True(result.Failed);
        Assert.Contains("FastAttn:Models:x:Path", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void BlockScopePresetsAreAcceptedAndUnknownOnesListThem()
    {
        Assert.False(new FastAttnOptionsValidator().Validate(null, new FastAttnOptions { Preset = "b3" }).Failed);
        var result = new FastAttnOptionsValidator().Validate(null, new FastAttnOptions { Preset = "B9" });
        Assert.True(result.Failed);
        Assert.Contains("B6", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void BadBatchingOptionsAreNamed()
    {
        var result = new FastAttnOptionsValidator().Validate(null, new FastAttnOptions
        {
            MaxBatch = 0, BatchWindow = TimeSpan.FromSeconds(-1), MaxBatchBytes = -1,
        });
        Assert.True(result.Failed);
        foreach (var key in new[] { "FastAttn:MaxBatch", "FastAttn:BatchWindow", "FastAttn:MaxBatchBytes" })
            Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void PerDeviceCopiesShareNoListOrEntry()
    {
        var options = new FastAttnOptions { OutputDirectory = "/tmp/out", Models = { ["a"] = new FastAttnModelOptions { Path = "p", Resolutions = [32] } } };
        (options.MaxBatch, options.BatchWindow, options.MaxBatchBytes, options.Threads) = (4, TimeSpan.FromSeconds(2), 1000, 3);
        var cpu = options.ForDevice("cpu");
        var gpu = options.ForDevice("cuda:1");
        cpu.Models["a"].Resolutions.Add(64);
        cpu.Models["b"] = new FastAttnModelOptions { Path = "q" };
        cpu.Limits.MaxImages = 1;
        cpu.Retention.MaxFiles = 1;
        Assert.Equal([32], gpu.Models["a"].Resolutions);
        Assert.Equal([32], options.Models["a"].Resolutions);
        Assert.False(gpu.Models.ContainsKey("b") || options.Models.ContainsKey("b"));
        Assert.Equal((4, 500), (gpu.Limits.MaxImages, gpu.Retention.MaxFiles));
        Assert.NotSame(options.Models["a"], gpu.Models["a"]);
        Assert.Equal(("cuda:1", Path.Combine("/tmp/out", "cuda-1")), (gpu.Device, gpu.OutputDirectory));
        Assert.Equal(options.Preset, gpu.Preset);
        Assert.Equal((4, TimeSpan.FromSeconds(2), 1000L, (int?)3), (gpu.MaxBatch, gpu.BatchWindow, gpu.MaxBatchBytes, gpu.Threads));
        Assert.True(gpu.Models.Comparer.Equals("A", "a"));
    }

    [Fact]
    public void AddFastAttnReturnsOneBuilderWhoseDecoratorsWrapTheEngine()
    {
        var services = new ServiceCollection().AddLogging();
        var first = services.AddFastAttn(o => o.Device = "cpu");
        var calls = new List<string>();
        Assert.Same(first, services.AddFastAttn(o => o.Preset = "raw").Use(inner => { calls.Add("outer"); return inner; }));
        using var sp = services.BuildServiceProvider();
        var engine = sp.GetRequiredService<IFastAttnEngine>();
        Assert.Equal(["outer"], calls);
        Assert.Equal("raw", sp.GetRequiredService<IOptions<FastAttnOptions>>().Value.Preset);
        Assert.NotNull(engine.GetService(typeof(FastAttnEngineService)));
        Assert.Single(sp.GetServices<IHostedService>(), h => h.GetType().Name == "LocalEngineHost");
    }
}
