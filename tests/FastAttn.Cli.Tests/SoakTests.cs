using System.Text.Json.Nodes;
using FastAttn.Cli.Commands;
using FastAttn.Cli.Soak;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Cli.Tests;

/// <summary>
/// CI's short mode of <c>fastattn bench soak</c>: a fixed number of mixed requests (good images, batchable pairs, clips on
/// a tiny Open-Sora, bad, oversized, cancelled) through the engine, the kernel functions and IImageGenerator; every
/// request is accounted for, none is lost or fails untyped, no bad one is accepted, a burst meets a full queue, and no
/// temporary file, nor a file of a request cancelled mid-save, is left.
/// </summary>
[Collection("cli")]
public sealed class SoakTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-soak-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_short_soak_accounts_for_every_request_and_loses_none()
    {
        var clip = Path.Combine(_dir, "clip");
        TinyOpenSoraFolder.Write(clip, Path.Combine(AppContext.BaseDirectory, "TestData"));
        var settings = new SoakSettings(null, Requests: 30, Clients: 3, "tiny-mnist", "clip", Steps: 2, TimeSpan.FromMinutes(5), false, Seed: 21);
        var output = Path.Combine(_dir, "soak");
        var report = await BenchSoakCommand.RunAsync(settings, ["engine", "kernel", "imagegenerator"], clip, queue: 3, redis: null,
            siloDll: "", output, CancellationToken.None);

        var s = report.Summary;
        Assert.Equal(30 - 1 + BenchSoakCommand.BurstFor(3), s["requests"]);                   // call 7 is a burst
        Assert.True((int)s["queueFullAnswers"]! > 0);                                          // the burst overflowed the queue
        Assert.Equal(true, s["accountedFor"]);
        Assert.Equal(0, s["lost"]);
        Assert.Equal(0, s["untyped"]);
        Assert.Equal(0, s["badAccepted"]);
        Assert.Equal(0, s["tempFilesLeft"]);
        Assert.Equal(0, s["orphanFiles"]);                                                     // nothing saved for a client that had gone
        Assert.True((int)s["succeeded"]! > 0);
        Assert.Contains(report.Rows, r => (string)r["kind"]! == "video" && (int)r["succeeded"]! > 0);
        var json = JsonNode.Parse(File.ReadAllText(output + ".json"))!;
        Assert.NotNull(json["rows"]);
        Assert.Equal(0, json["summary"]!["lost"]!.GetValue<int>());
        Assert.True(File.Exists(output + ".md") && File.Exists(output + ".png"));
    }
}
