using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Imaging;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Pipelines;

/// <summary>A tiny Open-Sora folder (random tiny STDiT2, t5-tiny, tiny tokenizer, vae-tiny) from prompts to clips and GIFs.</summary>
[Collection(SequentialCollection.Name)]
public sealed class OpenSoraPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("opensora-pipeline").FullName;

    public OpenSoraPipelineTests() => TinyOpenSoraFolder.Write(_dir, TestData.Golden());

    private static VideoGenerationRequest Request() => new() { Prompts = ["a red fox running in the snow"], Seeds = [3], Frames = 4, Height = 32, Width = 48, Steps = 4 };

    [Fact]
    public void PromptsBecomeClipsDeterministicallyPerSeed()
    {
        Assert.True(OpenSoraPipelineFolder.IsOpenSoraFolder(_dir));
        using var pipeline = OpenSoraPipelineFolder.Load(_dir);
        var request = Request();
        using var both = pipeline.Generate(request with { Prompts = ["a red fox running in the snow", "waves on a beach"], Seeds = [3, 4] });
        int factor = pipeline.VaeFactor;
        Assert.Equal(new long[] { 2, 3, 4, 32 / factor * factor, 48 / factor * factor }, both.Videos.shape);
        Assert.Equal(new long[] { 2, 4, 4, 32 / factor, 48 / factor }, both.Latents.shape);
        Assert.False(both.Videos.isnan().any().item<bool>());
        using var alone = pipeline.Generate(request with { Prompts = ["waves on a beach"], Seeds = [4] });
        TensorAssert.RelativeClose(both.Videos[1], alone.Videos[0], 1e-4, "clip 1 alone vs in a batch");
        using var other = pipeline.Generate(request with { Prompts = ["waves on a beach"], Seeds = [5] });
        Assert.True(TensorAssert.RelativeError(alone.Videos[0], other.Videos[0]) > 1e-3, "another seed, another clip");
        using var unguided = pipeline.Generate(request with { Prompts = ["waves on a beach"], Seeds = [4], GuidanceScale = 1 });
        Assert.True(TensorAssert.RelativeError(alone.Videos[0], unguided.Videos[0]) > 1e-4, "guidance with the null caption matters");
        Assert.Equal(8, alone.Fps);
    }

    [Fact]
    public void ClipsAreSavedAsLoopingGifsWithTheirFrames()
    {
        using var pipeline = OpenSoraPipelineFolder.Load(_dir);
        using var clip = pipeline.Generate(Request());
        var gif = Path.Combine(_dir, "clip.gif");
        var frames = AnimatedImageWriter.Save(clip.Videos[0], gif, clip.Fps, Path.Combine(_dir, "frames"));
        Assert.Equal(4, frames.Count);
        using var image = Image.Load(gif);
        Assert.Equal(4, image.Frames.Count);
        Assert.Equal(13, image.Frames[1].Metadata.GetGifMetadata().FrameDelay);                // 8 fps → 12.5 → 13 hundredths
        Assert.Equal(0, image.Metadata.GetGifMetadata().RepeatCount);
        using (var png = Image.Load(frames[2]))
            Assert.Equal((image.Width, image.Height), (png.Width, png.Height));
        Assert.Throws<NotSupportedException>(() => AnimatedImageWriter.Save(clip.Videos[0], Path.Combine(_dir, "clip.webp"), 8));
    }

    [Fact]
    public void PlansCompressTheSpatialAttention()
    {
        using var pipeline = OpenSoraPipelineFolder.Load(_dir);
        var request = Request();
        using var raw = pipeline.Generate(request);
        var (f, h, w) = pipeline.LatentSizeFor(request);
        var key = new PlanKey(ModelFingerprint.Of(pipeline.Transformer), h, request.Steps, "iddpm", request.GuidanceScale,
            WindowSpec.ForTokens(h / 2 * (w / 2)), 0.03, "test", w, f);
        using (var full = pipeline.Generate(request with { Plan = CompressionPlan.Full(key, 2) }))
            Assert.True(raw.Videos.equal(full.Videos).all().item<bool>(), "an all-full plan is the raw model");
        var (a, o, wr, s, ws) = (AttentionMethod.Full, AttentionMethod.OutputShare, AttentionMethod.WindowResidual, AttentionMethod.FullCfgShare, AttentionMethod.WindowResidualCfgShare);
        var plan = new CompressionPlan(key, [[a, a], [wr, s], [o, ws], [o, a]]);
        using var compressed = pipeline.Generate(request with { Plan = plan, TimeAttention = true });
        Assert.Equal(0, compressed.AttentionFallbacks);
        Assert.NotNull(compressed.AttentionTime);
        Assert.InRange(TensorAssert.RelativeError(raw.Videos, compressed.Videos), 1e-7, 0.5);
        Assert.Throws<PlanMismatchException>(() => pipeline.Generate(request with { Frames = 5, Plan = plan }));
    }

    [Fact]
    public void BadRequestsAreClearErrors()
    {
        using var pipeline = OpenSoraPipelineFolder.Load(_dir);
        Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { Prompts = [] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.Generate(Request() with { Frames = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.Generate(Request() with { Width = 4 }));
        Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { MaxTokens = 300 }));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
