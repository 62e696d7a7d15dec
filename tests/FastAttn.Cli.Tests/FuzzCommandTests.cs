using System.Text.Json.Nodes;
using FastAttn.Cli;
using Xunit;

namespace FastAttn.Cli.Tests;

/// <summary><c>fastattn fuzz</c>: a short run writes the table's rows and finds nothing.</summary>
[Collection("cli")]
public sealed class FuzzCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-cli-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task AShortRunWritesRowsAndNoFindings()
    {
        var basePath = Path.Combine(_dir, "fuzz");
        Assert.Equal(0, await CliApp.RunAsync(["fuzz", "--target", "plan", "--seconds", "1", "--out", basePath]));
        var rows = JsonNode.Parse(File.ReadAllText(basePath + ".json"))!["rows"]!.AsArray();
        var row = Assert.Single(rows)!;
        Assert.Equal("plan", row["target"]!.GetValue<string>());
        Assert.True(row["iterations"]!.GetValue<long>() > 0);
        Assert.Equal(0, row["findings"]!.GetValue<int>());
        Assert.True(File.Exists(basePath + ".md") && File.Exists(basePath + ".png"));
    }

    [Fact]
    public async Task AnUnknownTargetIsBadInput() =>
        Assert.Equal(2, await CliApp.RunAsync(["fuzz", "--target", "nope", "--seconds", "1", "--out", Path.Combine(_dir, "x")]));
}
