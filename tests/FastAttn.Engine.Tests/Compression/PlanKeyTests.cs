using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Models.OpenSora;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

public sealed class PlanKeyTests : IDisposable
{
    private const string Fingerprint = "ab12cd34ef56";
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-plankey-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PlanKey Video(double delta = 0.03) =>
        new(Fingerprint, 30, 2, "iddpm", 7, WindowSpec.ForTokens(24), delta, "captions:fastattn-video-prompts-v1[12],seed:3", 53, 16);

    private static string Version1(string calibration, string version = "\"version\": 1,") => $$"""
        { "format": "fastattn-plan", {{version}}
          "key": { "modelFingerprint": "{{Fingerprint}}", "latentSize": 30, "latentWidth": 53, "latentFrames": 16, "steps": 2,
                   "scheduler": "iddpm", "guidanceScale": 7,
                   "window": { "semantics": "BlockBand", "halfWidth": 3, "blockSize": 3, "blockRadius": 1 },
                   "threshold": 0.03, "calibration": "{{calibration}}" },
          "layers": 1, "methods": [["full"], ["ast"]] }
        """;

    [Theory]
    [InlineData("\"version\": 1,")]
    [InlineData("")]
    public void AVersion1FileLoadsWithItsCalibrationTextMigratedToTypedFields(string version)
    {
        var plan = PlanSerializer.Parse(Version1("captions:x[2],seed:3,target:temporal,metric:guided", version), "old.json");
        var key = plan.Key;
        Assert.Equal((30, 53, 16), (key.LatentHeight, key.Width, key.LatentFrames));
        Assert.Equal("captions:x[2],seed:3", key.Calibration);
        Assert.Equal((VideoAttention.Temporal, SearchMetric.GuidedOutput), (key.Target, key.Metric));
        Assert.Equal((CandidateOrder.Reference, SearchScope.Attention), (key.CandidateOrder, key.SearchScope));
        Assert.Equal("captions:x[2],seed:3,target:temporal,metric:guided", key.LegacyCalibration);   // hashed as before: same file name

        var spatial = PlanSerializer.Parse(Version1("captions:x[2],seed:3"), "old.json").Key;
        Assert.Equal((VideoAttention.Spatial, SearchMetric.RawOutput), (spatial.Target, spatial.Metric));
    }

    [Fact]
    public void ATemporalPlansKeyRoundTripsThroughACurrentVersionFile()
    {
        var key = Video() with { Target = VideoAttention.Temporal, Metric = SearchMetric.GuidedOutput };
        var path = new PlanDirectory(_dir).Save(new CompressionPlan(key, [[AttentionMethod.Full], [AttentionMethod.OutputShare]]));
        var text = File.ReadAllText(path);
        Assert.Contains($"\"version\": {PlanSerializer.Version}", text);
        Assert.Contains("\"target\": \"Temporal\"", text);
        Assert.Contains("\"latentHeight\": 30", text);
        Assert.DoesNotContain("target:temporal", text);
        Assert.Equal(key, PlanSerializer.Load(path).Key);
        Assert.Equal(key, new PlanDirectory(_dir).TryLoad(key)!.Key);
    }

    [Fact]
    public void KeysDifferingOnlyInTargetOrderScopeOrMetricDiffer()
    {
        var key = Video();
        PlanKey[] others =
        [
            key with { Target = VideoAttention.Temporal },
            key with { Metric = SearchMetric.GuidedOutput },
            key with { Metric = SearchMetric.Ssim },
            key with { CandidateOrder = (CandidateOrder)1 },                                  // the next issue's measured order
            key with { SearchScope = (SearchScope)1 },                                        // the next issue's block scope
        ];
        var names = others.Select(k => k.FileName).Append(key.FileName).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.All(others, k => Assert.NotEqual(key, k));
        Assert.DoesNotContain("|order:", key.CanonicalText);                                  // defaults keep today's canonical text
        Assert.DoesNotContain("|scope:", key.CanonicalText);
        Assert.DoesNotContain("metric", key.CanonicalText);                                   // MRAE names unchanged; SSIM says so
        Assert.Contains("-ssim-", (key with { Metric = SearchMetric.Ssim }).FileName, StringComparison.Ordinal);
    }

    [Fact]
    public void PresetNamesAreKindAwareAndImageFileNamesDoNotChange()
    {
        Assert.Equal("D2", CompressionPresets.NameOf(0.05, OutputKind.Image));
        Assert.Equal("V5", CompressionPresets.NameOf(0.05, OutputKind.Video));
        Assert.Null(CompressionPresets.NameOf(0.075, OutputKind.Video));
        Assert.Equal("raw", CompressionPresets.NameOf(0, OutputKind.Video));
        Assert.Contains("-V5-", Video(0.05).FileName);
        var image = new PlanKey(Fingerprint, 16, 3, "ddim", 4, WindowSpec.ForTokens(64), 0.03, "labels:random8,seed:3");
        Assert.Contains("-V3-", image.FileName);                                              // as image plans were always named
        Assert.Contains("-D2-", (image with { Threshold = 0.05 }).FileName);
    }

    [Fact]
    public void AVideoPlanSavedUnderItsFormerPresetNameIsStillFound()
    {
        var key = Video(0.05);
        var plan = new CompressionPlan(key, [[AttentionMethod.Full], [AttentionMethod.OutputShare]]);
        var legacy = Path.Combine(_dir, key.LegacyFileName!);
        Assert.Contains("-D2-", legacy);
        PlanSerializer.Save(plan, legacy);
        var found = PlanLookup.Find(key, [_dir]);
        Assert.Equal((key, legacy), (found!.Value.Plan.Key, found.Value.Path));
    }
}
