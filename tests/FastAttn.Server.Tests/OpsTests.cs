using System.Net;
using FastAttn.Server.Hosting;
using FastAttn.Server.Tests.Support;
using Xunit;

namespace FastAttn.Server.Tests;

/// <summary>url answers expire with the store (fake clock); metrics, health, OpenAPI, the model list and the page.</summary>
public sealed class OpsTests
{
    [Fact]
    public async Task UrlAnswer_ServesThePng_UntilItExpires()
    {
        var engine = new GatedEngine();
        engine.Release();
        var clock = new FakeClock();
        await using var server = await RunningServer.StartAsync(engine: engine, time: clock);

        var answer = await (await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7", response_format = "url" })).JsonAsync();
        var url = answer.GetProperty("data")[0].GetProperty("url").GetString()!;
        Assert.Equal(GatedEngine.Png, await server.Http.GetByteArrayAsync(url));

        clock.Advance(server.Get<Microsoft.Extensions.Options.IOptions<FastAttnServerOptions>>().Value.OutputTtl + TimeSpan.FromSeconds(1));

        await (await server.Http.GetAsync(url)).AssertErrorAsync(HttpStatusCode.NotFound, "invalid_request_error", "not_found");
    }

    [Fact]
    public async Task PublicBaseUrl_IsTheBaseOfLinks()
    {
        var engine = new GatedEngine();
        engine.Release();
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["FastAttn:Server:PublicBaseUrl"] = "https://images.example.com/",
        }, engine);

        var answer = await (await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7", model = "dall-e-3" })).JsonAsync();

        Assert.StartsWith("https://images.example.com/v1/fastattn/files/", answer.GetProperty("data")[0].GetProperty("url").GetString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsHealthOpenApiModelsAndPage_Answer()
    {
        var engine = new GatedEngine();
        engine.Release();
        await using var server = await RunningServer.StartAsync(engine: engine);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" })).StatusCode);

        var metrics = await server.Http.GetAsync("metrics");
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE fastattn_generations_total counter", text, StringComparison.Ordinal);
        Assert.Contains("fastattn_generations_total{fastattn_model=\"tiny-mnist\",fastattn_outcome=\"ok\",fastattn_preset=\"D2\"} 1",
            text, StringComparison.Ordinal);
        Assert.Contains("fastattn_server_requests_total{", text, StringComparison.Ordinal);
        Assert.Contains("fastattn_generation_duration_seconds_bucket{", text, StringComparison.Ordinal);

        Assert.Equal("Healthy", await server.Http.GetStringAsync("healthz"));
        var openapi = await server.Http.GetStringAsync("openapi/v1.json");
        Assert.Contains("/v1/images/generations", openapi, StringComparison.Ordinal);
        Assert.Contains("/v1/fastattn/images/jobs/{id}/events", openapi, StringComparison.Ordinal);
        var models = await (await server.Http.GetAsync("v1/models")).JsonAsync();
        Assert.Equal("list", models.GetProperty("object").GetString());
        Assert.Contains("tiny-mnist", models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var page = await server.Http.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }
}
