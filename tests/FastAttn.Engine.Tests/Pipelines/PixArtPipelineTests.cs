using FastAttn.Engine.Attention;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.PixArt;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Pipelines;

/// <summary>
/// A tiny PixArt pipeline folder in diffusers' layout — random tiny transformer, the t5-tiny encoder, a tiny SentencePiece
/// tokenizer, the vae-tiny decoder and PixArt's scheduler config — run from prompts to images.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class PixArtPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pixart-pipeline").FullName;

    public PixArtPipelineTests() => TinyPixArtFolder.Write(_dir, TestData.Golden());

    [Fact]
    public void PromptsBecomeImagesDeterministicallyPerSeed()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        Assert.Equal("dpm", pipeline.Scheduler.Name);
        var request = new PixArtGenerationRequest { Prompts = ["a cat on the mat", "the mat"], Seeds = [7, 8], Steps = 3 };
        using var both = pipeline.Generate(request);
        int side = pipeline.DefaultSize;
        Assert.Equal(new long[] { 2, 3, side, side }, both.Images.shape);
        Assert.False(both.Images.isnan().any().item<bool>());
        using var alone = pipeline.Generate(request with { Prompts = ["the mat"], Seeds = [8] });
        TensorAssert.RelativeClose(both.Images[1], alone.Images[0], 1e-4, "image 1 alone vs in a batch");
        using var negative = pipeline.Generate(request with { Prompts = ["the mat"], Seeds = [8], NegativePrompt = "a cat" });
        Assert.True(TensorAssert.RelativeError(alone.Images[0], negative.Images[0]) > 1e-4, "the negative prompt must matter");
        using var shouted = pipeline.Generate(request with { Prompts = ["  THE MAT "], Seeds = [8] });
        TensorAssert.RelativeClose(alone.Images[0], shouted.Images[0], 1e-6, "prompts are lower-cased and trimmed, as the reference");
        using var noisy = pipeline.Generate(request with { Prompts = ["<i>THE MAT</i> @someone"], Seeds = [8] });
        TensorAssert.RelativeClose(alone.Images[0], noisy.Images[0], 1e-6, "captions are cleaned as the reference (tags, handles)");
        using var raw = pipeline.Generate(request with { Prompts = ["<i>THE MAT</i> @someone"], Seeds = [8], CleanCaption = false });
        Assert.True(TensorAssert.RelativeError(alone.Images[0], raw.Images[0]) > 1e-4, "without cleaning the markup reaches the encoder");
        using var wide = pipeline.Generate(request with { Prompts = ["a cat"], Seeds = [1], Width = side * 2 });
        Assert.Equal(new long[] { 1, 3, side, side * 2 }, wide.Images.shape);
    }

    [Fact]
    public void DiTFastAttnPlansRunOnPixArtSelfAttention()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var request = new PixArtGenerationRequest { Prompts = ["a cat on the mat"], Seeds = [3], Steps = 3 };
        using var raw = pipeline.Generate(request);
        int latent = pipeline.DefaultSize / pipeline.VaeFactor, tokens = latent / 2 * (latent / 2);
        var key = new PlanKey(ModelFingerprint.Of(pipeline.Transformer), latent, 3, "dpm", 4.5, WindowSpec.ForTokens(tokens, WindowSemantics.TokenBand), 0.05, "test");
        using (var full = pipeline.Generate(request with { Plan = CompressionPlan.Full(key, 2) }))
            Assert.True(raw.Images.equal(full.Images).all().item<bool>(), "an all-full plan is the raw model");

        var (f, w, a, o, wa) = (AttentionMethod.Full, AttentionMethod.WindowResidual, AttentionMethod.FullCfgShare, AttentionMethod.OutputShare, AttentionMethod.WindowResidualCfgShare);
        var mixed = new CompressionPlan(key, [[f, f], [w, a], [o, wa]]);
        using var compressed = pipeline.Generate(request with { Plan = mixed, TimeAttention = true });
        Assert.Equal(0, compressed.AttentionFallbacks);
        Assert.True(compressed.PeakCacheBytes > 0);
        Assert.NotNull(compressed.AttentionTime);
        double error = TensorAssert.RelativeError(raw.Images, compressed.Images);
        Assert.InRange(error, 1e-7, 0.5);

        Assert.Throws<PlanMismatchException>(() => pipeline.Generate(request with { Steps = 4, Plan = mixed }));
        var e = Assert.Throws<PlanMismatchException>(() => pipeline.Generate(request with { Plan = mixed, Width = pipeline.DefaultSize * 2 }));
        Assert.Contains("8x16", e.Message);                                                   // plans are keyed by the latent's height and width
    }

    [Fact]
    public void ReleasingTheEncoderKeepsCachedPromptsAndRefusesNewOnes()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var request = new PixArtGenerationRequest { Prompts = ["a cat"], Steps = 2 };
        using (var first = pipeline.Generate(request)) { }
        pipeline.ReleaseEncoder();
        Assert.False(pipeline.HasEncoder);
        using (var again = pipeline.Generate(request)) { }
        var e = Assert.Throws<InvalidOperationException>(() => pipeline.Generate(request with { Prompts = ["the mat"] }));
        Assert.Contains("released", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadRequestsAndFoldersAreNamed()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.Generate(new PixArtGenerationRequest { Prompts = ["a"], Width = 20 }));
        Assert.Contains("Width 20", size.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => pipeline.Generate(new PixArtGenerationRequest { Prompts = [] }));
        File.WriteAllText(Path.Combine(_dir, "scheduler", "scheduler_config.json"), """{ "_class_name": "DPMSolverMultistepScheduler", "use_karras_sigmas": true }""");
        Assert.Contains("Karras", Assert.Throws<CheckpointFormatException>(() => PixArtPipelineFolder.Load(_dir)).Message, StringComparison.Ordinal);
        Directory.Delete(Path.Combine(_dir, "vae"), recursive: true);
        File.WriteAllText(Path.Combine(_dir, "scheduler", "scheduler_config.json"), """{ "_class_name": "DPMSolverMultistepScheduler" }""");
        Assert.Contains("'vae'", Assert.Throws<CheckpointFormatException>(() => PixArtPipelineFolder.Load(_dir)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSchedulerConfigIsReadNotAssumed()
    {
        var ddim = DiffusersSchedulerConfig.Parse("""{ "_class_name": "DDIMScheduler", "beta_schedule": "squaredcos_cap_v2" }""", "s");
        Assert.Equal("ddim", ddim.Name);
        var e = Assert.Throws<CheckpointFormatException>(() => DiffusersSchedulerConfig.Parse("""{ "_class_name": "DPMSolverMultistepScheduler", "prediction_type": "v_prediction" }""", "s.json"));
        Assert.Contains("prediction_type", e.Message, StringComparison.Ordinal);
        Assert.Throws<CheckpointFormatException>(() => DiffusersSchedulerConfig.Parse("""{ "_class_name": "EulerDiscreteScheduler" }""", "s.json"));
        var dpm = DiffusersSchedulerConfig.Parse("""{ "_class_name": "DPMSolverMultistepScheduler", "solver_order": 1 }""", "s");
        Assert.Equal(20, dpm.Create(20).Timesteps.Count);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
