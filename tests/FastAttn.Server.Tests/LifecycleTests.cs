using System.Net;
using System.Net.Http.Headers;
using FastAttn.Server.Hosting;
using FastAttn.Server.Security;
using FastAttn.Plugin.Tests.Support;
using FastAttn.Server.Tests.Support;
using Xunit;

namespace FastAttn.Server.Tests;

/// <summary>Keys, the loopback rule, a full queue and the drain on shutdown (gated fake engine: no timing).</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task QueueFull_Is429WithRetryAfter()
    {
        var engine = new GatedEngine { QueueFull = true };
        await using var server = await RunningServer.StartAsync(engine: engine);

        var response = await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" });

        await response.AssertErrorAsync(HttpStatusCode.TooManyRequests, "rate_limit_error", "queue_full");
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Draining_RefusesNewWorkWith503_AndFinishesWorkInFlight()
    {
        var engine = new GatedEngine();
        var server = await RunningServer.StartAsync(engine: engine);
        var inFlight = server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" });
        await engine.Started.WaitAsync();

        var stopping = server.App.StopAsync();
        await server.Get<DrainCoordinator>().Draining;
        var refused = await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "3" });
        await refused.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "server_error", "server_draining");
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.False(stopping.IsCompleted);                                                    // waits for the generation in flight

        engine.Release();
        var finished = await inFlight;
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        await stopping;
        Assert.Equal(1, engine.Calls);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task DrainTimeout_CancelsWorkStillInFlight_WhichIsAnswered503()
    {
        var engine = new GatedEngine();
        var clock = new ManualTimeProvider();
        var server = await RunningServer.StartAsync(engine: engine, time: clock);
        var inFlight = server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" });
        await engine.Started.WaitAsync();

        var stopping = server.App.StopAsync();
        await clock.WaitTimerAsync();                                                          // the drain waits for its timeout
        clock.Advance(server.Get<Microsoft.Extensions.Options.IOptions<FastAttnServerOptions>>().Value.DrainTimeout);

        await engine.Cancelled.Task;
        await (await inFlight).AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "server_error", "server_draining");
        await stopping;
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ApiKeys_WrongOrMissingKeyIs401_RightKeyPasses_PageAndHealthStayOpen()
    {
        var engine = new GatedEngine();
        engine.Release();
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["FastAttn:Server:ApiKeys:0"] = "first-key", ["FastAttn:Server:ApiKeys:1"] = "second-key",
        }, engine);

        var missing = await server.Http.GetAsync("v1/models");
        await missing.AssertErrorAsync(HttpStatusCode.Unauthorized, "authentication_error", "invalid_api_key");
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "v1/models") { Headers = { Authorization = new("Bearer", "first-kez") } };
        await (await server.Http.SendAsync(wrong)).AssertErrorAsync(HttpStatusCode.Unauthorized, "authentication_error", "invalid_api_key");
        await (await server.Http.GetAsync("metrics")).AssertErrorAsync(HttpStatusCode.Unauthorized, "authentication_error", "invalid_api_key");

        server.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "second-key");
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("v1/models")).StatusCode);
        server.Http.DefaultRequestHeaders.Authorization = null;
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/")).StatusCode);
    }

    [Theory]
    [InlineData("http://0.0.0.0:5080")]
    [InlineData("http://*:5080")]
    [InlineData("http://+:80")]
    [InlineData("http://192.168.1.20:5080")]
    public void NonLoopbackAddressWithoutKeys_RefusesToStart(string url)
    {
        var e = Assert.Throws<InsecureListenAddressException>(() => FastAttnServerApp.Build(["--urls", url]));
        Assert.Equal([url], e.Urls);
        Assert.Contains("ApiKeys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonLoopbackAddressWithKeys_Builds()
    {
        await using var app = FastAttnServerApp.Build(["--urls", "http://0.0.0.0:0", "--FastAttn:Server:ApiKeys:0=k"]);
        Assert.NotNull(app);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("https://127.0.0.2:443/", true)]
    [InlineData("http://[::]:5080", false)]
    [InlineData("http://example.com:80", false)]
    public void Loopback_IsRecognised(string url, bool loopback) => Assert.Equal(loopback, ListenAddressGuard.IsLoopback(url));
}
