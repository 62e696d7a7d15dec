using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

public sealed class PlanFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-plan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PlanKey Key(double delta = 0.075, int steps = 3) =>
        new("ab12cd34ef56" + new string('0', 52), 16, steps, "ddim", 4.0, WindowSpec.ForTokens(64), delta, "labels:random8,seed:3");

    private static CompressionPlan Sample() => new(Key(), [
        [AttentionMethod.Full, AttentionMethod.Full],
        [AttentionMethod.OutputShare, AttentionMethod.WindowResidualCfgShare],
        [AttentionMethod.WindowResidual, AttentionMethod.FullCfgShare],
    ], new PlanSearchReport(12.5, 3.25, true, [1, 2], 3));

    [Fact]
    public void RoundTripsThroughJson()
    {
        var path = Path.Combine(_dir, "p.json");
        PlanSerializer.Save(Sample(), path);
        var loaded = PlanSerializer.Load(path);
        Assert.Equal(Sample().Key, loaded.Key);
        Assert.Equal(Sample().Methods, loaded.Methods);
        Assert.Equal(12.5, loaded.Search!.ForwardEquivalents);
        Assert.Contains("\"wars+asc\"", File.ReadAllText(path));
    }

    [Fact]
    public void ThePlanDirectoryFindsPlansByKey()
    {
        var dir = new PlanDirectory(Path.Combine(_dir, "plans"));
        Assert.Null(dir.TryLoad(Key()));
        var path = dir.Save(Sample());
        Assert.Contains("-D3-", Path.GetFileName(path));
        Assert.Equal(Sample().Methods, dir.TryLoad(Key())!.Methods);
        Assert.Null(dir.TryLoad(Key(delta: 0.1)));                                           // another δ is another plan
        Assert.NotEqual(Key(0.0625).FileName, Key(0.075).FileName);
        Assert.Contains("-d0.0625-", Key(0.0625).FileName);
    }

    [Theory]
    [InlineData("not json at all", "invalid")]
    [InlineData("{\"format\": \"something-else\", \"version\": 1}", "not a fastattn-plan file")]
    [InlineData("{\"format\": \"fastattn-plan\", \"version\": 99}", "version 99")]
    public void CorruptFilesGiveAClearError(string content, string expected)
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, content);
        var e = Assert.Throws<PlanFormatException>(() => PlanSerializer.Load(path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void InconsistentPlansAreRejected()
    {
        var json = PlanSerializer.ToJson(Sample());
        Assert.Contains("lists 2 layers, expected 1", Assert.Throws<PlanFormatException>(() => PlanSerializer.Parse(json.Replace("\"layers\": 2", "\"layers\": 1"), "x")).Message);
        Assert.Contains("Unknown attention method", Assert.Throws<PlanFormatException>(() => PlanSerializer.Parse(json.Replace("\"ast\"", "\"fastest\""), "x")).Message);
        Assert.Contains("steps", Assert.Throws<PlanFormatException>(() => PlanSerializer.Parse(json.Replace("\"steps\": 3", "\"steps\": 4"), "x")).Message);
        var truncated = Path.Combine(_dir, "t.json");
        File.WriteAllText(truncated, json[..(json.Length / 2)]);
        Assert.Throws<PlanFormatException>(() => PlanSerializer.Load(truncated));
        Assert.Throws<FileNotFoundException>(() => PlanSerializer.Load(Path.Combine(_dir, "none.json")));
    }

    [Fact]
    public void ImportsXDiTPlans()
    {
        var path = Path.Combine(_dir, "xdit.json");
        File.WriteAllText(path, """
            {"block0": {"step0": "FULL_ATTN", "step1": "OUTPUT_SHARE", "step2": "RESIDUAL_WINDOW_ATTN_CFG_SHARE"},
             "block1": {"step0": "FULL_ATTN", "step1": "FULL_ATTN_CFG_SHARE", "step2": "RESIDUAL_WINDOW_ATTN"}}
            """);
        var plan = XDiTPlanImporter.Import(path, Key());
        Assert.Equal(new[]
        {
            new[] { AttentionMethod.Full, AttentionMethod.Full },
            [AttentionMethod.OutputShare, AttentionMethod.FullCfgShare],
            [AttentionMethod.WindowResidualCfgShare, AttentionMethod.WindowResidual],
        }, plan.Methods);
        Assert.Throws<PlanFormatException>(() => XDiTPlanImporter.Import(path, Key(steps: 4)));
    }

    [Theory]
    [InlineData("D1", 0.025)]
    [InlineData("d6", 0.15)]
    [InlineData("raw", 0)]
    public void PresetsAreThresholds(string preset, double delta) => Assert.Equal(delta, CompressionPresets.Threshold(preset), 12);

    [Fact]
    public void UnknownPresetsListTheKnownOnes() =>
        Assert.Contains("D1, D2", Assert.Throws<NotSupportedException>(() => CompressionPresets.Threshold("D9")).Message);
}
