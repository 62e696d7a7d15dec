using FastAttn.Engine.Compression;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using SixLabors.ImageSharp;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>
/// Text to video through the engine and the <c>generate_video</c> kernel function: a tiny random Open-Sora folder
/// (tiny STDiT2, t5-tiny, tiny tokenizer, vae-tiny) served as "clip", sharing the queue with image jobs.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class VideoFacesTests
{
    private static Task<TestHost> StartAsync(Action<FastAttnOptions>? configure = null)
    {
        var folder = Directory.CreateTempSubdirectory("opensora-served").FullName;
        FastAttn.Engine.Tests.Support.TinyOpenSoraFolder.Write(folder, Path.Combine(AppContext.BaseDirectory, "TestData"));
        return TestHost.StartAsync(o =>
        {
            o.Models["clip"] = new FastAttnModelOptions { Path = folder, Steps = 3 };             // Kind auto: found to be Open-Sora
            o.DefaultVideoModel = "clip";
            configure?.Invoke(o);
        });
    }

    private static FastAttnVideoRequest Clip(string prompt) => new() { Prompt = prompt, Frames = 3, Width = 48, Height = 32, Seed = 1 };

    [Fact]
    public async Task ClipsAreGifsAndShareTheQueueWithImages()
    {
        await using var host = await StartAsync(o => { o.SearchOnDemand = true; o.VideoPreset = "V3"; o.Limits.MaxSteps = 1000; });
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        var image = engine.GenerateAsync(new FastAttnImageRequest { Prompt = "7", Seed = 1, Steps = 5 });   // tiny-mnist, same queue
        var video = engine.GenerateVideoAsync(Clip("a red fox running in the snow"));
        await Task.WhenAll(image, video);
        var clip = await video;
        Assert.True(File.Exists(clip.Path), clip.Path);
        Assert.EndsWith(".gif", clip.Path, StringComparison.Ordinal);
        Assert.StartsWith(host.Output, clip.Path, StringComparison.Ordinal);
        using (var gif = Image.Load(clip.Path))
        {
            Assert.Equal(3, gif.Frames.Count);
            Assert.Equal((clip.Width, clip.Height), (gif.Width, gif.Height));
        }
        Assert.Equal("V3", clip.Preset);
        Assert.True(clip.Compressed, string.Join(" ", clip.Notes));                              // searched on the shipped video prompts
        Assert.Contains($"captions:{CalibrationCaptions.VideoName}", PlanSerializer.Load(clip.PlanPath!).Key.Calibration, StringComparison.Ordinal);
        Assert.Single((await image).Images);

        var again = await engine.GenerateVideoAsync(Clip("a red fox running in the snow") with { Preset = "V3" });
        Assert.Equal(clip.Gif, again.Gif);                                                        // same seed, same clip
        await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateAsync(new FastAttnImageRequest { Prompt = "a fox", Model = "clip" }));
        var imageModel = await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateVideoAsync(Clip("a fox") with { Model = "tiny-mnist" }));
        Assert.Contains("not video", imageModel.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateVideoAsync(Clip("a fox") with { Frames = 500 }));
        await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateVideoAsync(Clip("a fox") with { Preset = "V9" }));

        using var cancel = new CancellationTokenSource();
        var cancelled = engine.GenerateVideoAsync(Clip("waves on a beach") with { Steps = 1000, Preset = "raw" }, cancel.Token);
        await cancel.CancelAsync();                          // queued or generating: cancelled either way (EngineServiceTests hold it on a gate)
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Single((await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "3", Steps = 3 })).Images);   // the slot is free again
    }

    [Fact]
    public async Task TheKernelFunctionReturnsTheSavedClip()
    {
        await using var host = await StartAsync();
        var kernel = new Kernel(host.Services);
        kernel.Plugins.AddFromObject(host.Services.GetRequiredService<FastAttnVideoPlugin>(), "fastattn_video");
        var function = kernel.Plugins.GetFunction("fastattn_video", "generate_video");
        var text = (await kernel.InvokeAsync(function, new KernelArguments
        {
            ["prompt"] = "waves rolling onto a beach", ["frames"] = 2, ["size"] = "48x32", ["seed"] = 4L, ["quality"] = "raw",
        })).GetValue<string>()!;
        Assert.StartsWith("Saved the clip to ", text, StringComparison.Ordinal);
        var path = text["Saved the clip to ".Length..].Split(' ')[0];
        using (var gif = Image.Load(path))
            Assert.Equal(2, gif.Frames.Count);
        Assert.Contains("2 frames, 48x32", text, StringComparison.Ordinal);
        var refused = (await kernel.InvokeAsync(function, new KernelArguments { ["prompt"] = "a fox", ["size"] = "big" })).GetValue<string>()!;
        Assert.StartsWith("Could not generate:", refused, StringComparison.Ordinal);
    }
}
