using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>The SSIM metric through the text-to-image and video searches: the VAE decodes each step's x̂₀ (video frame by frame).</summary>
[Collection(SequentialCollection.Name)]
public sealed class SsimFamilySearchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ssim-family").FullName;

    private static PlanSearchSettings Ssim(int count) =>
        new() { CalibrationCount = count, CandidateOrder = CandidateOrder.Reference, Metric = SearchMetric.Ssim };

    [Fact]
    public void PixArtSearchesOnDecodedImagesAndKeysThePlanBySsim()
    {
        TinyPixArtFolder.Write(_dir, TestData.Golden());
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        Assert.NotNull(pipeline.Decoder);
        var request = new PixArtGenerationRequest { Prompts = ["a red fox"], Seeds = [1], Steps = 4 };
        var search = new PixArtPlanSearch(pipeline);
        var options = search.OptionsFor(request, 0.3, Ssim(2));
        var plan = search.Search(options);
        Assert.Equal(SearchMetric.Ssim, plan.Key.Metric);
        Assert.Equal(search.KeyFor(options), plan.Key);
        Assert.Contains("-ssim-", plan.Key.FileName, StringComparison.Ordinal);
        Assert.NotEqual(search.KeyFor(search.OptionsFor(request, 0.3, Ssim(2) with { Metric = SearchMetric.RawOutput })), plan.Key);
        using var compressed = pipeline.Generate(request with { Plan = plan });
        Assert.Equal(0, compressed.AttentionFallbacks);
    }

    [Fact]
    public void OpenSoraSearchesOnDecodedFrames()
    {
        TinyOpenSoraFolder.Write(_dir, TestData.Golden());
        using var pipeline = OpenSoraPipelineFolder.Load(_dir);
        Assert.NotNull(pipeline.Decoder);
        var request = new VideoGenerationRequest { Prompts = ["a red fox"], Seeds = [1], Frames = 4, Height = 32, Width = 48, Steps = 4 };
        var search = new OpenSoraPlanSearch(pipeline);
        var plan = search.Search(search.OptionsFor(request, 0.3, Ssim(2)));
        Assert.Equal(SearchMetric.Ssim, plan.Key.Metric);
        Assert.Contains("-ssim-", plan.Key.FileName, StringComparison.Ordinal);
        using var compressed = pipeline.Generate(request with { Plan = plan });
        Assert.Equal(0, compressed.AttentionFallbacks);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
