using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.TextToImage;
using SixLabors.ImageSharp;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>Each face end to end on the built-in tiny-mnist model.</summary>
[Collection(EngineCollection.Name)]
public class FacesTests
{
    [Fact]
    public async Task TextToImageServiceReturnsPngWithAFileUri()
    {
        await using var host = await TestHost.StartAsync();
        var service = host.Services.GetRequiredService<ITextToImageService>();
        var uri = await service.GenerateImageAsync("a handwritten seven", 32, 32);           // SK's extension: needs a Uri
        var path = new Uri(uri).LocalPath;
        Assert.True(File.Exists(path), path);
        Assert.StartsWith(host.Output, path, StringComparison.Ordinal);

        var settings = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["seed"] = 5, ["preset"] = "raw", ["count"] = 2, ["steps"] = 10 } };
        var images = await service.GetImageContentsAsync(new Microsoft.SemanticKernel.TextContent("3"), settings);
        Assert.Equal(2, images.Count);
        Assert.All(images, i => Assert.Equal("image/png", i.MimeType));
        using var png = Image.Load(images[0].Data!.Value.ToArray());
        Assert.Equal((32, 32), (png.Width, png.Height));
        Assert.Equal(5L, images[0].Metadata!["seed"]);
        Assert.Equal(6L, images[1].Metadata!["seed"]);
    }

    [Fact]
    public async Task ImageGeneratorHonoursCountSizeAndFormat()
    {
        await using var host = await TestHost.StartAsync(services: s => s.AddFastAttnImageGenerator().UseLogging());
        var generator = host.Services.GetRequiredService<IImageGenerator>();
        var response = await generator.GenerateImagesAsync("digit 4", new ImageGenerationOptions
        {
            Count = 2, ImageSize = new System.Drawing.Size(32, 32), MediaType = "image/png",
            AdditionalProperties = new AdditionalPropertiesDictionary { ["seed"] = 11L, ["steps"] = 10 },
        });
        Assert.Equal(2, response.Contents.Count);
        var data = Assert.IsType<DataContent>(response.Contents[0]);
        Assert.Equal("image/png", data.MediaType);
        Assert.Equal(11L, data.AdditionalProperties!["seed"]);

        var uris = await generator.GenerateImagesAsync("digit 4", new ImageGenerationOptions { ResponseFormat = ImageGenerationResponseFormat.Uri, AdditionalProperties = new() { ["steps"] = 10 } });
        Assert.True(File.Exists(Assert.IsType<UriContent>(uris.Contents[0]).Uri.LocalPath));
        await Assert.ThrowsAsync<FastAttnRequestException>(() => generator.GenerateImagesAsync("digit 4", new ImageGenerationOptions { MediaType = "image/jpeg" }));
        Assert.Equal("tiny-mnist", generator.GetService<ImageGeneratorMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task KernelFunctionReturnsTextAnAgentCanUse()
    {
        await using var host = await TestHost.StartAsync();
        var kernel = new Kernel(host.Services);
        kernel.Plugins.AddFromObject(host.Services.GetRequiredService<FastAttnImagePlugin>(), "fastattn");
        var function = kernel.Plugins.GetFunction("fastattn", "generate_image");
        Assert.Contains("digit", function.Description, StringComparison.OrdinalIgnoreCase);

        var ok = (await kernel.InvokeAsync(function, new KernelArguments { ["prompt"] = "draw the digit 7", ["seed"] = 3L, ["quality"] = "raw" })).GetValue<string>()!;
        Assert.StartsWith("Saved the image to ", ok, StringComparison.Ordinal);
        var path = ok["Saved the image to ".Length..].Split(' ')[0];
        Assert.True(File.Exists(path), ok);
        Assert.Contains("class \"7\"", ok, StringComparison.Ordinal);
        Assert.Contains("seed 3", ok, StringComparison.Ordinal);

        var refused = (await kernel.InvokeAsync(function, new KernelArguments { ["prompt"] = "a cat on a sofa" })).GetValue<string>()!;
        Assert.StartsWith("Could not generate:", refused, StringComparison.Ordinal);
        Assert.Contains("digit", refused, StringComparison.Ordinal);
        var badSize = (await kernel.InvokeAsync(function, new KernelArguments { ["prompt"] = "7", ["size"] = "512" })).GetValue<string>()!;
        Assert.Contains("32x32", badSize, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtherSizesAreRefusedUnlessResizingIsOn()
    {
        await using (var strict = await TestHost.StartAsync())
        {
            var engine = strict.Services.GetRequiredService<IFastAttnEngine>();
            var e = await Assert.ThrowsAsync<FastAttnRequestException>(() => engine.GenerateAsync(new FastAttnImageRequest { Prompt = "1", Width = 64, Height = 64 }));
            Assert.Contains("32x32", e.Message, StringComparison.Ordinal);
            Assert.Equal([new System.Drawing.Size(32, 32)], await engine.GetSupportedSizesAsync());
        }
        await using var lenient = await TestHost.StartAsync(o => o.AllowResize = true);
        var r = await lenient.Services.GetRequiredService<IFastAttnEngine>().GenerateAsync(new FastAttnImageRequest { Prompt = "1", Width = 64, Height = 48, Steps = 5 });
        Assert.True(r.Resized);
        using var png = Image.Load(r.Images[0].Png);
        Assert.Equal((64, 48), (png.Width, png.Height));
        Assert.Contains(r.Notes, n => n.Contains("resized", StringComparison.Ordinal));
    }
}
