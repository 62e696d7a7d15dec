using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>The greedy plan search on a tiny Open-Sora folder: spatial self-attention per block, [cond; null caption] pairs.</summary>
[Collection(SequentialCollection.Name)]
public sealed class OpenSoraPlanSearchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("opensora-search").FullName;

    public OpenSoraPlanSearchTests() => TinyOpenSoraFolder.Write(_dir, TestData.Golden());

    private static VideoGenerationRequest Request() => new() { Prompts = ["a red fox"], Seeds = [1], Frames = 4, Height = 32, Width = 48, Steps = 4 };

    [Fact]
    public void AtLeastEightVideoPromptsAreShipped()
    {
        Assert.True(CalibrationCaptions.Video.Count >= 8);
        Assert.Equal(CalibrationCaptions.Video.Count, CalibrationCaptions.Video.Distinct().Count());
        Assert.Equal($"captions:{CalibrationCaptions.VideoName}[3]", CalibrationCaptions.Describe(CalibrationCaptions.Take(null, 3, video: true)));
        Assert.Equal([0.01, 0.02, 0.03, 0.04, 0.05], CompressionPresets.VideoNames.Select(CompressionPresets.Threshold));
        Assert.Equal("V3", CompressionPresets.NameOf(0.03, OutputKind.Video));
    }

    [Fact]
    public void TheSearchDecidesTheSpatialAttentionAndItsPlanRunsTheClip()
    {
        using var pipeline = OpenSoraPipelineFolder.Load(_dir);
        var search = new OpenSoraPlanSearch(pipeline);
        var zero = search.Search(search.OptionsFor(Request(), 0, Prompts(2)));
        Assert.All(zero.Methods.SelectMany(r => r), m => Assert.Equal(AttentionMethod.Full, m));

        var options = search.OptionsFor(Request(), 0.3, Prompts(2));
        var plain = search.Search(options with { PrefixReuse = false });
        var plan = search.Search(options);
        Assert.Equal(plain.Methods, plan.Methods);
        Assert.True(plan.Search!.ForwardEquivalents < plain.Search!.ForwardEquivalents);
        Assert.Equal(AttentionMethod.Full, plan.Methods[0].Distinct().Single());
        Assert.True(plan.Counts()[AttentionMethod.Full] < plan.Methods.Length * plan.Layers, "δ = 0.3 compresses something");
        Assert.Equal("4f-8x12px", plan.Key.LatentShape + "px");
        Assert.Contains($"captions:{CalibrationCaptions.VideoName}[2]", plan.Key.Calibration);
        Assert.Equal(search.KeyFor(options), plan.Key);
        Assert.Equal(24, plan.Shape!.Tokens);                                                 // one frame's 4 × 6 patches

        var path = Path.Combine(_dir, "plan.json");
        PlanSerializer.Save(plan, path);
        Assert.Equal(plan.Key, PlanSerializer.Load(path).Key);
        using var raw = pipeline.Generate(Request());
        using var compressed = pipeline.Generate(Request() with { Plan = PlanSerializer.Load(path) });
        Assert.Equal(0, compressed.AttentionFallbacks);
        Assert.InRange(MeanRelativeAbsoluteError.Compute(raw.Videos, compressed.Videos), 1e-7, 0.5);
    }

    [Fact]
    public void TheTemporalAttentionCanBeSearchedAndCompressedToo()
    {
        using var pipeline = OpenSoraPipelineFolder.Load(_dir);
        var search = new OpenSoraPlanSearch(pipeline);
        var options = search.OptionsFor(Request(), 0.3, Prompts(2) with { Target = VideoAttention.Temporal });
        var temporal = search.Search(options);
        Assert.Equal(VideoAttention.Temporal, temporal.Key.Target);
        Assert.DoesNotContain("target", temporal.Key.Calibration);
        Assert.Equal(4, temporal.Shape!.Tokens);                                              // a location's 4 frames
        Assert.Equal(search.KeyFor(options), temporal.Key);
        Assert.True(temporal.Counts()[AttentionMethod.Full] < temporal.Methods.Length * temporal.Layers, "δ = 0.3 compresses something");
        var spatial = search.Search(search.OptionsFor(Request(), 0.3, Prompts(2)));
        Assert.NotEqual(spatial.Key, temporal.Key);

        using var raw = pipeline.Generate(Request());
        using (var full = pipeline.Generate(Request() with { TemporalPlan = CompressionPlan.Full(temporal.Key, 2) }))
            Assert.True(raw.Videos.equal(full.Videos).all().item<bool>(), "an all-full temporal plan is the raw model");
        using var temporalOnly = pipeline.Generate(Request() with { TemporalPlan = temporal });
        Assert.InRange(MeanRelativeAbsoluteError.Compute(raw.Videos, temporalOnly.Videos), 1e-7, 0.5);
        using var both = pipeline.Generate(Request() with { Plan = spatial, TemporalPlan = temporal });
        Assert.Equal(0, both.AttentionFallbacks);
        Assert.False(both.Videos.equal(temporalOnly.Videos).all().item<bool>());
        Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { Plan = temporal }));
        Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { TemporalPlan = spatial }));
    }

    private static PlanSearchSettings Prompts(int count) => new() { CalibrationCount = count, CandidateOrder = CandidateOrder.Reference };

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
