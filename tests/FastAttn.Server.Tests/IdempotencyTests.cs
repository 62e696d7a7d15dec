using System.Net;
using FastAttn.Server.Idempotency;
using FastAttn.Server.Tests.Support;
using Xunit;

namespace FastAttn.Server.Tests;

/// <summary>An Idempotency-Key repeated never runs a second generation (gated fake engine counts them).</summary>
public sealed class IdempotencyTests
{
    [Fact]
    public async Task RepeatedKeyWhileTheFirstRuns_WaitsForTheSameGeneration()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(engine: engine);
        var replayed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Get<IdempotencyStore>().Replayed += _ => replayed.TrySetResult();

        var first = server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7", seed = 5 }, "key-1");
        await engine.Started.WaitAsync();
        var second = server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7", seed = 5 }, "key-1");
        await replayed.Task;                                                                   // the second is waiting on the first's run
        Assert.False(second.IsCompleted);
        engine.Release();

        var (a, b) = (await first, await second);
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(await a.Content.ReadAsStringAsync(), await b.Content.ReadAsStringAsync());
        Assert.Equal(1, engine.Calls);
    }

    [Fact]
    public async Task RepeatedKeyAfterTheFirstEnded_GetsItsResult_OtherKeysGenerate()
    {
        var engine = new GatedEngine();
        engine.Release();
        await using var server = await RunningServer.StartAsync(engine: engine);

        var a = await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" }, "key-2");
        var b = await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" }, "key-2");
        Assert.Equal(await a.Content.ReadAsStringAsync(), await b.Content.ReadAsStringAsync());
        Assert.Equal(1, engine.Calls);

        await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" }, "key-3");
        Assert.Equal(2, engine.Calls);
    }

    [Fact]
    public async Task KeyReusedWithAnotherBody_Is400()
    {
        var engine = new GatedEngine();
        engine.Release();
        await using var server = await RunningServer.StartAsync(engine: engine);

        await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" }, "key-4");
        var reused = await server.Http.PostJsonAsync("v1/images/generations", new { prompt = "8" }, "key-4");

        await reused.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_request_error", "idempotency_key_reused", "Idempotency-Key");
        Assert.Equal(1, engine.Calls);
    }
}
