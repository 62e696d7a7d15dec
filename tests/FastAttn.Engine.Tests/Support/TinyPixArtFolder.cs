using System.Text.Json.Nodes;
using FastAttn.Engine.Models.PixArt;
using FastAttn.Engine.Families.PixArt;

namespace FastAttn.Engine.Tests.Support;

/// <summary>
/// Writes a tiny PixArt pipeline folder in diffusers' layout: a random tiny transformer (seeded), the t5-tiny encoder,
/// a tiny SentencePiece tokenizer, the vae-tiny decoder and PixArt-Sigma's scheduler config.
/// </summary>
public static class TinyPixArtFolder
{
    /// <summary>Writes the folder into <paramref name="dir"/>, taking golden files from <paramref name="golden"/>.</summary>
    public static void Write(string dir, string golden)
    {
        var parts = new[] { "transformer", "text_encoder", "tokenizer", "vae", "scheduler" };
        foreach (var p in parts) Directory.CreateDirectory(Path.Combine(dir, p));
        File.WriteAllText(Path.Combine(dir, "model_index.json"), """{ "_class_name": "PixArtSigmaPipeline" }""");
        var config = new JsonObject
        {
            ["_class_name"] = "PixArtTransformer2DModel", ["num_attention_heads"] = 2, ["attention_head_dim"] = 16, ["in_channels"] = 4,
            ["out_channels"] = 8, ["num_layers"] = 2, ["cross_attention_dim"] = 32, ["sample_size"] = 8, ["patch_size"] = 2,
            ["caption_channels"] = 32, ["norm_type"] = "ada_norm_single", ["norm_eps"] = 1e-6, ["interpolation_scale"] = 1,
        };
        File.WriteAllText(Path.Combine(dir, "transformer", "config.json"), config.ToJsonString());
        using (var random = PixArtRandomModels.Transformer(PixArtConfig.ParseDiffusers(config.ToJsonString(), "config"), seed: 5))
            TorchSharp.PyBridge.Safetensors.SaveStateDict(Path.Combine(dir, "transformer", "diffusion_pytorch_model.safetensors"), random.state_dict());
        File.Copy(Path.Combine(golden, "t5-tiny", "config.json"), Path.Combine(dir, "text_encoder", "config.json"));
        File.Copy(Path.Combine(golden, "t5-tiny", "weights.safetensors"), Path.Combine(dir, "text_encoder", "model.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "tokenizer", "spiece.model"), TinySentencePiece.ModelProto());
        File.Copy(Path.Combine(golden, "vae-tiny", "config.json"), Path.Combine(dir, "vae", "config.json"));
        File.Copy(Path.Combine(golden, "vae-tiny", "diffusion_pytorch_model.safetensors"), Path.Combine(dir, "vae", "diffusion_pytorch_model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "scheduler", "scheduler_config.json"), """
            { "_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "dpmsolver++", "beta_end": 0.02, "beta_schedule": "linear",
              "beta_start": 0.0001, "lower_order_final": true, "num_train_timesteps": 1000, "prediction_type": "epsilon",
              "solver_order": 2, "solver_type": "midpoint", "timestep_spacing": "linspace", "final_sigmas_type": "zero", "use_karras_sigmas": false }
            """);
        }
}
