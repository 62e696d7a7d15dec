using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;
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

    public PixArtPipelineTests()
    {
        var parts = new[] { "transformer", "text_encoder", "tokenizer", "vae", "scheduler" };
        foreach (var p in parts) Directory.CreateDirectory(Path.Combine(_dir, p));
        File.WriteAllText(Path.Combine(_dir, "model_index.json"), """{ "_class_name": "PixArtSigmaPipeline" }""");
        var config = new JsonObject
        {
            ["_class_name"] = "PixArtTransformer2DModel", ["num_attention_heads"] = 2, ["attention_head_dim"] = 16, ["in_channels"] = 4,
            ["out_channels"] = 8, ["num_layers"] = 2, ["cross_attention_dim"] = 32, ["sample_size"] = 8, ["patch_size"] = 2,
            ["caption_channels"] = 32, ["norm_type"] = "ada_norm_single", ["norm_eps"] = 1e-6, ["interpolation_scale"] = 1,
        };
        File.WriteAllText(Path.Combine(_dir, "transformer", "config.json"), config.ToJsonString());
        manual_seed(5);
        using (var random = new PixArtTransformer(PixArtConfig.ParseDiffusers(config.ToJsonString(), "config")))
            TorchSharp.PyBridge.Safetensors.SaveStateDict(Path.Combine(_dir, "transformer", "diffusion_pytorch_model.safetensors"), random.state_dict());
        File.Copy(TestData.Golden("t5-tiny", "config.json"), Path.Combine(_dir, "text_encoder", "config.json"));
        File.Copy(TestData.Golden("t5-tiny", "weights.safetensors"), Path.Combine(_dir, "text_encoder", "model.safetensors"));
        File.WriteAllBytes(Path.Combine(_dir, "tokenizer", "spiece.model"), TinySentencePiece.ModelProto());
        File.Copy(TestData.Golden("vae-tiny", "config.json"), Path.Combine(_dir, "vae", "config.json"));
        File.Copy(TestData.Golden("vae-tiny", "diffusion_pytorch_model.safetensors"), Path.Combine(_dir, "vae", "diffusion_pytorch_model.safetensors"));
        File.WriteAllText(Path.Combine(_dir, "scheduler", "scheduler_config.json"), """
            { "_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "dpmsolver++", "beta_end": 0.02, "beta_schedule": "linear",
              "beta_start": 0.0001, "lower_order_final": true, "num_train_timesteps": 1000, "prediction_type": "epsilon",
              "solver_order": 2, "solver_type": "midpoint", "timestep_spacing": "linspace", "final_sigmas_type": "zero", "use_karras_sigmas": false }
            """);
    }

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
        using var wide = pipeline.Generate(request with { Prompts = ["a cat"], Seeds = [1], Width = side * 2 });
        Assert.Equal(new long[] { 1, 3, side, side * 2 }, wide.Images.shape);
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
