using System.Net;
using System.Text.Json;
using FastAttn.Server.Tests.Support;
using Xunit;

namespace FastAttn.Server.Tests;

/// <summary>Jobs: progress as server-sent events in order, then the result; a client going away cancels; videos.</summary>
public sealed class JobTests
{
    [Fact]
    public async Task ImageJob_StreamsEveryStepInOrder_ThenTheImage()
    {
        await using var server = await RunningServer.StartAsync(steps: 3);
        var created = await (await server.Http.PostJsonAsync("v1/fastattn/images/jobs", new { prompt = "a handwritten five", preset = "D2" }))
            .JsonAsync();
        var id = created.GetProperty("id").GetString()!;

        using var stream = await server.Http.GetStreamAsync($"v1/fastattn/images/jobs/{id}/events");
        var events = new List<(string Name, string Data)>();
        await foreach (var e in Sse.ReadAsync(stream)) events.Add(e);

        var progress = events.Where(e => e.Name == "progress").Select(e => JsonDocument.Parse(e.Data).RootElement).ToArray();
        Assert.Equal([1, 2, 3], progress.Select(p => p.GetProperty("step").GetInt32()));
        Assert.All(progress, p => Assert.Equal(3, p.GetProperty("steps").GetInt32()));
        Assert.All(progress, p => Assert.Equal("D2", p.GetProperty("preset").GetString()));
        var (name, data) = events[^1];
        Assert.Equal("done", name);
        var done = JsonDocument.Parse(data).RootElement;
        RealClientTests.AssertPng(Convert.FromBase64String(done.GetProperty("data")[0].GetProperty("b64_json").GetString()!), 32, 32);
        Assert.Equal("D2", done.GetProperty("fastattn").GetProperty("preset").GetString());

        var status = await (await server.Http.GetAsync($"v1/fastattn/images/jobs/{id}")).JsonAsync();
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal(100, status.GetProperty("progress").GetInt32());
    }

    [Fact]
    public async Task SynchronousClientGoingAway_CancelsTheGeneration()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(engine: engine);
        using var client = new CancellationTokenSource();

        var request = server.Http.PostJsonAsync("v1/images/generations", new { prompt = "7" }, cancellationToken: client.Token);
        await engine.Started.WaitAsync();
        await client.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await engine.Cancelled.Task;                                                           // the engine saw its token cancelled
    }

    [Fact]
    public async Task EventStreamClientGoingAway_CancelsTheJob()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(engine: engine);
        var id = (await (await server.Http.PostJsonAsync("v1/fastattn/images/jobs", new { prompt = "7" })).JsonAsync())
            .GetProperty("id").GetString()!;
        await engine.Started.WaitAsync();

        using (var watch = new CancellationTokenSource())
        {
            var response = await server.Http.GetAsync($"v1/fastattn/images/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead, watch.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(watch.Token);
            await foreach (var e in Sse.ReadAsync(stream))
                if (e.Name == "progress") break;                                               // watching, then the tab closes
            response.Dispose();
        }

        await engine.Cancelled.Task;
        var replay = new List<string>();                                                    // the job's stream ends with its error
        using (var stream = await server.Http.GetStreamAsync($"v1/fastattn/images/jobs/{id}/events"))
            await foreach (var e in Sse.ReadAsync(stream)) replay.Add(e.Name);
        Assert.Equal("error", replay[^1]);
        var status = await (await server.Http.GetAsync($"v1/fastattn/images/jobs/{id}")).JsonAsync();
        Assert.Equal("cancelled", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Video_StartsAJob_StreamsProgress_AndServesTheGif()
    {
        var engine = new GatedEngine();
        engine.Release();
        await using var server = await RunningServer.StartAsync(engine: engine);

        var created = await server.Http.PostJsonAsync("v1/videos", new { prompt = "a cat", model = "sora-2", frames = 4 });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var job = await created.JsonAsync();
        Assert.Equal("video", job.GetProperty("object").GetString());
        var id = job.GetProperty("id").GetString()!;
        using (var stream = await server.Http.GetStreamAsync($"v1/videos/{id}/events"))
        {
            var events = new List<string>();
            await foreach (var e in Sse.ReadAsync(stream)) events.Add(e.Name);
            Assert.Equal(["progress", "progress", "progress", "done"], events);
        }

        var status = await (await server.Http.GetAsync($"v1/videos/{id}")).JsonAsync();
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal("fake-video", status.GetProperty("result").GetProperty("model").GetString());
        var gif = await server.Http.GetAsync($"v1/videos/{id}/content");
        Assert.Equal("image/gif", gif.Content.Headers.ContentType?.MediaType);
        Assert.Equal("GIF89a"u8.ToArray(), await gif.Content.ReadAsByteArrayAsync());
    }
}
