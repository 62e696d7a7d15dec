using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>
/// Open-Sora v1.1's STDiT2 shape (its <c>STDiT2Config</c> field names). STDiT2-XL/2 (hpcai-tech/OpenSora-STDiT-v2-stage3):
/// 28 layers, width 1152, 16 heads, patch (1, 2, 2), 4 → 8 channels (learned sigma), T5-XXL captions (4096 channels,
/// 200 tokens), q/k RMS norm, position-table scale relative to 512×512.
/// </summary>
/// <param name="HiddenSize">Width C (divisible by 3 and by the heads).</param>
/// <param name="Depth">Blocks.</param>
/// <param name="NumHeads">Heads.</param>
/// <param name="PatchT">Patch length in frames.</param>
/// <param name="PatchH">Patch height.</param>
/// <param name="PatchW">Patch width.</param>
/// <param name="InChannels">Latent channels.</param>
/// <param name="PredSigma">Whether the output carries the learned-variance half (out = 2·in).</param>
/// <param name="CaptionChannels">Text-encoder width.</param>
/// <param name="ModelMaxLength">Caption tokens (the null caption's length).</param>
/// <param name="QkNorm">RMS norm on queries and keys of the self-attentions.</param>
/// <param name="InputSqSize">Side the position table's scale is relative to: scale = √(height·width) / this.</param>
/// <param name="MlpRatio">MLP width multiple.</param>
public sealed record STDiT2Config(int HiddenSize, int Depth, int NumHeads, int PatchT, int PatchH, int PatchW, int InChannels, bool PredSigma,
    int CaptionChannels, int ModelMaxLength, bool QkNorm, int InputSqSize, double MlpRatio = 4.0)
{
    /// <summary>Width of one head.</summary>
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Output channels.</summary>
    public int OutChannels => PredSigma ? 2 * InChannels : InChannels;

    /// <summary>STDiT2-XL/2 as released (stage 3).</summary>
    public static STDiT2Config XL2 { get; } = new(1152, 28, 16, 1, 2, 2, 4, true, 4096, 200, true, 512);

    /// <summary>Reads a config JSON with the reference's field names (a checkpoint's metadata or a hub config.json).</summary>
    public static STDiT2Config Parse(string json, string source)
    {
        try
        {
            var o = ConfigJson.Parse(json, source);
            int Int(string name, int fallback) => o[name] is JsonNode n ? n.GetValue<int>() : fallback;
            bool Bool(string name, bool fallback) => o[name] is JsonNode n ? n.GetValue<bool>() : fallback;
            var patch = o["patch_size"]?.AsArray().Select(n => n?.GetValue<int>() ?? 0).ToArray() ?? [1, 2, 2];
            if (patch.Length != 3) throw new CheckpointFormatException(source, $"patch_size must have 3 entries; got {patch.Length}.");
            var config = new STDiT2Config(Int("hidden_size", 1152), Int("depth", 28), Int("num_heads", 16), patch[0], patch[1], patch[2],
                Int("in_channels", 4), Bool("pred_sigma", true), Int("caption_channels", 4096), Int("model_max_length", 120), Bool("qk_norm", false),
                Int("input_sq_size", 32), o["mlp_ratio"] is JsonNode m ? m.GetValue<double>() : 4.0);
            config.Validate(source);
            ConfigJson.RequireSizes(source, ("hidden_size", config.HiddenSize), ("depth", config.Depth), ("num_heads", config.NumHeads),
                ("patch_size[0]", patch[0]), ("patch_size[1]", patch[1]), ("patch_size[2]", patch[2]), ("in_channels", config.InChannels),
                ("caption_channels", config.CaptionChannels), ("model_max_length", config.ModelMaxLength), ("input_sq_size", config.InputSqSize));
            if (!(config.MlpRatio > 0 && config.MlpRatio <= 64)) throw new CheckpointFormatException(source, "mlp_ratio is outside (0, 64].");
            return config;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new CheckpointFormatException(source, $"the STDiT2 config is not valid: {e.Message}");
        }
    }

    /// <summary>Throws a clear error for an impossible shape.</summary>
    public void Validate(string source)
    {
        if (HiddenSize <= 0 || HiddenSize % 3 != 0 || HiddenSize % 4 != 0)
            throw new CheckpointFormatException(source, $"hidden_size {HiddenSize} must be a positive multiple of 3 and of 4.");
        if (NumHeads <= 0 || HiddenSize % NumHeads != 0 || HeadDim % 2 != 0)
            throw new CheckpointFormatException(source, $"hidden_size {HiddenSize} must split into {NumHeads} heads of even width.");
        if (Depth <= 0 || PatchT <= 0 || PatchH <= 0 || PatchW <= 0 || InChannels <= 0 || CaptionChannels <= 0
            || ModelMaxLength <= 0 || InputSqSize <= 0)
            throw new CheckpointFormatException(source, "depth, patch sizes, channels, model_max_length and input_sq_size must be positive.");
    }
}
