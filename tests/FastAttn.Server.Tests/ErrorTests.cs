using System.Net;
using System.Text;
using FastAttn.Server.Tests.Support;
using Xunit;

namespace FastAttn.Server.Tests;

/// <summary>Every refusal of the real server is an OpenAI-shaped error with the right status, type, code and field.</summary>
public sealed class ErrorTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Post(object body) => _server.Http.PostJsonAsync("v1/images/generations", body);

    [Fact]
    public async Task MissingPrompt_Is400() =>
        await (await Post(new { model = "tiny-mnist" })).AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_request_error",
            "missing_required_parameter", "prompt");

    [Fact]
    public async Task SizeTheModelCannotMake_Is400NamingTheSizes()
    {
        var error = await (await Post(new { prompt = "7", size = "1024x1024" })).AssertErrorAsync(HttpStatusCode.BadRequest,
            "invalid_request_error", "unsupported_size", "size");
        Assert.Contains("32x32", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EngineLimit_Is400NamingTheField() =>
        await (await Post(new { prompt = "7", steps = 1000 })).AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_request_error",
            "invalid_value", "steps");

    [Fact]
    public async Task BadJson_Is400()
    {
        using var content = new StringContent("{\"prompt\": ", Encoding.UTF8, "application/json");
        await (await _server.Http.PostAsync("v1/images/generations", content)).AssertErrorAsync(HttpStatusCode.BadRequest,
            "invalid_request_error", "invalid_json");
    }

    [Fact]
    public async Task WrongFieldType_Is400NamingTheField() =>
        await (await Post(new { prompt = "7", n = "two" })).AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_request_error",
            "invalid_json", "n");

    [Fact]
    public async Task UnknownQuality_Is400() =>
        await (await Post(new { prompt = "7", quality = "ultra" })).AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_request_error",
            "invalid_value", "quality");

    [Fact]
    public async Task UnknownModel_Is404() =>
        await (await Post(new { prompt = "7", model = "stable-diffusion-9" })).AssertErrorAsync(HttpStatusCode.NotFound,
            "invalid_request_error", "model_not_found", "model");

    [Fact]
    public async Task UnknownRouteAndJob_Are404()
    {
        await (await _server.Http.GetAsync("v1/nothing")).AssertErrorAsync(HttpStatusCode.NotFound, "invalid_request_error", "unknown_route");
        await (await _server.Http.GetAsync("v1/videos/video_none")).AssertErrorAsync(HttpStatusCode.NotFound, "invalid_request_error", "not_found");
    }

    [Fact]
    public async Task BodyTooLarge_Is413() =>
        await (await Post(new { prompt = new string('x', 70_000) })).AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge,
            "invalid_request_error", "request_too_large");

    [Fact]
    public async Task PromptTooLong_Is413() =>
        await (await Post(new { prompt = new string('x', 4001) })).AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge,
            "invalid_request_error", "request_too_large", "prompt");
}
