using System.ClientModel;
using FastAttn.Server.Tests.Support;
using Meai = Microsoft.Extensions.AI;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.TextToImage;
using OpenAI;
using OpenAI.Images;
using SixLabors.ImageSharp;
using Xunit;

namespace FastAttn.Server.Tests;

/// <summary>
/// Clients nobody here wrote, against the real server and engine (tiny-mnist, 3 steps): the official OpenAI .NET SDK,
/// Semantic Kernel's OpenAI text-to-image connector and Microsoft.Extensions.AI.OpenAI's image generator.
/// </summary>
public sealed class RealClientTests
{
    [Fact]
    public async Task OpenAISdk_GeneratesBase64AndUrlImages()
    {
        await using var server = await RunningServer.StartAsync();
        var client = new ImageClient("dall-e-2", new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl + "/v1") });

        GeneratedImage inline = await client.GenerateImageAsync("a handwritten seven",
            new OpenAI.Images.ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Bytes });
        AssertPng(inline.ImageBytes.ToArray(), 32, 32);

        GeneratedImage linked = await client.GenerateImageAsync("a handwritten three",
            new OpenAI.Images.ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Uri });
        Assert.StartsWith(server.BaseUrl + "/v1/fastattn/files/", linked.ImageUri.ToString(), StringComparison.Ordinal);
        AssertPng(await server.Http.GetByteArrayAsync(linked.ImageUri), 32, 32);
    }

    [Fact]
    public async Task SemanticKernelConnector_GetsAUrlImageOfTheSizeItAsks()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["FastAttn:Server:Resize"] = "true" });
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl + "/v1/") };
        var kernel = Kernel.CreateBuilder().AddOpenAITextToImage("unused", modelId: "dall-e-2", httpClient: http).Build();

        var url = await kernel.GetRequiredService<ITextToImageService>().GenerateImageAsync("a handwritten four", 256, 256);

        Assert.StartsWith(server.BaseUrl + "/v1/fastattn/files/", url, StringComparison.Ordinal);
        AssertPng(await server.Http.GetByteArrayAsync(url), 256, 256);
    }

    [Fact]
    public async Task ExtensionsAIOpenAIGenerator_GetsAPng()
    {
        await using var server = await RunningServer.StartAsync();
        var openai = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl + "/v1") });
        using var generator = openai.GetImageClient("dall-e-2").AsIImageGenerator();

        var response = await generator.GenerateAsync(new Meai.ImageGenerationRequest("a handwritten two"),
            new Meai.ImageGenerationOptions { ResponseFormat = Meai.ImageGenerationResponseFormat.Data });

        var image = Assert.IsType<DataContent>(Assert.Single(response.Contents));
        AssertPng(image.Data.ToArray(), 32, 32);
    }

    internal static void AssertPng(byte[] bytes, int width, int height)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        var info = Image.Identify(bytes);
        Assert.Equal((width, height), (info.Width, info.Height));
    }
}
