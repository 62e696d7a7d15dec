using FastAttn.Engine.Compression;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.TextToImage;
using SixLabors.ImageSharp;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>
/// The three faces over a text-to-image model: a tiny random PixArt pipeline folder (tiny transformer, t5-tiny, tiny
/// SentencePiece tokenizer, vae-tiny) served as "pixart-tiny", from a text prompt to a PNG.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class PixArtFacesTests
{
    private const string Model = "pixart-tiny";

    private static Task<TestHost> StartAsync(Action<FastAttnOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var folder = Directory.CreateTempSubdirectory("pixart-served").FullName;
        FastAttn.Engine.Tests.Support.TinyPixArtFolder.Write(folder, Path.Combine(AppContext.BaseDirectory, "TestData"));
        return TestHost.StartAsync(o =>
        {
            o.Models[Model] = new FastAttnModelOptions { Path = folder, Steps = 3 };           // Kind auto: found to be PixArt
            o.DefaultModel = Model;
            configure?.Invoke(o);
        }, services);
    }

    [Fact]
    public async Task TextToImageServiceDrawsAPromptWithANegativePrompt()
    {
        await using var host = await StartAsync();
        var service = host.Services.GetRequiredService<ITextToImageService>();
        var settings = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["seed"] = 4, ["preset"] = "raw" } };
        var plain = await service.GetImageContentsAsync(new Microsoft.SemanticKernel.TextContent("a cat on the mat"), settings);
        var image = Assert.Single(plain);
        Assert.Equal("image/png", image.MimeType);
        Assert.True(File.Exists(image.Uri!.LocalPath));
        Assert.Equal("a cat on the mat", image.Metadata!["subject"]);
        Assert.Null(image.Metadata["classId"]);
        using (var png = Image.Load(image.Data!.Value.ToArray()))
            Assert.Equal((32, 32), (png.Width, png.Height));

        settings.ExtensionData!["negative_prompt"] = "the mat";
        var negative = Assert.Single(await service.GetImageContentsAsync(new Microsoft.SemanticKernel.TextContent("a cat on the mat"), settings));
        Assert.NotEqual(image.Data!.Value.ToArray(), negative.Data!.Value.ToArray());            // the negative prompt changes the image
        var again = Assert.Single(await service.GetImageContentsAsync(new Microsoft.SemanticKernel.TextContent("a cat on the mat"), settings));
        Assert.Equal(negative.Data!.Value.ToArray(), again.Data!.Value.ToArray());               // same seed, same image

        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        Assert.Equal([new System.Drawing.Size(32, 32)], await engine.GetSupportedSizesAsync());
        var e = await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateAsync(new FastAttnImageRequest { Prompt = "a cat", Width = 64, Height = 32 }));
        Assert.Contains("Supported sizes: 32x32", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateAsync(new FastAttnImageRequest { Prompt = "  " }));
        var dit = await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateAsync(new FastAttnImageRequest { Prompt = "7", Model = "tiny-mnist", NegativePrompt = "blurry" }));
        Assert.Contains("no negative prompt", dit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImageGeneratorAndKernelFunctionServeTextPromptsWithPlans()
    {
        await using var host = await StartAsync(o => { o.SearchOnDemand = true; o.AllowResize = true; }, s => s.AddFastAttnImageGenerator());
        var generator = host.Services.GetRequiredService<IImageGenerator>();
        var response = await generator.GenerateImagesAsync("a red fox in the snow", new ImageGenerationOptions
        {
            Count = 2, MediaType = "image/png",
            AdditionalProperties = new AdditionalPropertiesDictionary { ["seed"] = 2L, ["preset"] = "D3", ["negative_prompt"] = "blurry" },
        });
        Assert.Equal(2, response.Contents.Count);
        var result = Assert.IsType<FastAttnImageResult>(response.RawRepresentation);
        Assert.True(result.Compressed, string.Join(" ", result.Notes));                           // searched on demand on the shipped captions
        Assert.Contains($"captions:{CalibrationCaptions.DefaultName}", PlanSerializer.Load(result.PlanPath!).Key.Calibration, StringComparison.Ordinal);
        Assert.Equal("a red fox in the snow", Assert.IsType<DataContent>(response.Contents[0]).AdditionalProperties!["subject"]);

        var resized = await generator.GenerateImagesAsync("a red fox", new ImageGenerationOptions { ImageSize = new System.Drawing.Size(48, 32) });
        using (var png = Image.Load(Assert.IsType<DataContent>(resized.Contents[0]).Data.ToArray()))
            Assert.Equal((48, 32), (png.Width, png.Height));
        Assert.True(Assert.IsType<FastAttnImageResult>(resized.RawRepresentation).Resized);

        var kernel = new Kernel(host.Services);
        kernel.Plugins.AddFromObject(host.Services.GetRequiredService<FastAttnImagePlugin>(), "fastattn");
        var function = kernel.Plugins.GetFunction("fastattn", "generate_image");
        var text = (await kernel.InvokeAsync(function, new KernelArguments
        {
            ["prompt"] = "a lighthouse on a cliff", ["negative"] = "people", ["seed"] = 9L, ["quality"] = "raw",
        })).GetValue<string>()!;
        Assert.StartsWith("Saved the image to ", text, StringComparison.Ordinal);
        var path = text["Saved the image to ".Length..].Split(' ')[0];
        using (var png = Image.Load(path))
            Assert.Equal((32, 32), (png.Width, png.Height));
        Assert.Contains("prompt \"a lighthouse on a cliff\"", text, StringComparison.Ordinal);
        Assert.Contains("a-lighthouse-on-a-cliff", Path.GetFileName(path), StringComparison.Ordinal);
    }
}
