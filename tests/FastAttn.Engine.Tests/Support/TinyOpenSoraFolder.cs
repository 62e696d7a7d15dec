using System.Text.Json.Nodes;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Families.OpenSora;

namespace FastAttn.Engine.Tests.Support;

/// <summary>
/// Writes a tiny Open-Sora folder: a random tiny STDiT2 (seeded; caption width 32 to fit t5-tiny, 8 caption tokens),
/// the t5-tiny encoder, a tiny SentencePiece tokenizer and the vae-tiny decoder.
/// </summary>
public static class TinyOpenSoraFolder
{
    /// <summary>The transformer's shape.</summary>
    public static STDiT2Config Config { get; } = new(48, 2, 2, 1, 2, 2, 4, true, 32, 8, true, 32);

    /// <summary>Writes the folder into <paramref name="dir"/>, taking golden files from <paramref name="golden"/>.</summary>
    public static void Write(string dir, string golden)
    {
        foreach (var p in new[] { "transformer", "text_encoder", "tokenizer", "vae" }) Directory.CreateDirectory(Path.Combine(dir, p));
        var config = new JsonObject
        {
            ["model_type"] = "STDiT2", ["hidden_size"] = Config.HiddenSize, ["depth"] = Config.Depth, ["num_heads"] = Config.NumHeads,
            ["patch_size"] = new JsonArray(1, 2, 2), ["in_channels"] = 4, ["pred_sigma"] = true, ["caption_channels"] = Config.CaptionChannels,
            ["model_max_length"] = Config.ModelMaxLength, ["qk_norm"] = true, ["input_sq_size"] = Config.InputSqSize,
        };
        File.WriteAllText(Path.Combine(dir, "transformer", "config.json"), config.ToJsonString());
        using (var random = OpenSoraRandomModels.Transformer(Config, seed: 6))
            TorchSharp.PyBridge.Safetensors.SaveStateDict(Path.Combine(dir, "transformer", "model.safetensors"), random.state_dict());
        File.Copy(Path.Combine(golden, "t5-tiny", "config.json"), Path.Combine(dir, "text_encoder", "config.json"));
        File.Copy(Path.Combine(golden, "t5-tiny", "weights.safetensors"), Path.Combine(dir, "text_encoder", "model.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "tokenizer", "spiece.model"), TinySentencePiece.ModelProto());
        File.Copy(Path.Combine(golden, "vae-tiny", "config.json"), Path.Combine(dir, "vae", "config.json"));
        File.Copy(Path.Combine(golden, "vae-tiny", "diffusion_pytorch_model.safetensors"), Path.Combine(dir, "vae", "diffusion_pytorch_model.safetensors"));
    }
}
