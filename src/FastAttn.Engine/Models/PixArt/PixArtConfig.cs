using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;

namespace FastAttn.Engine.Models.PixArt;

/// <summary>
/// A PixArt transformer's shape (diffusers <c>PixArtTransformer2DModel</c>, <c>norm_type: ada_norm_single</c>).
/// PixArt-Sigma-XL: 28 layers, 16 heads × 72, patch 2, 4 → 8 channels, caption 4096 (T5-XXL), sample 128 (1024 px)
/// with interpolation scale 2, or 256 (2K) with 4.
/// </summary>
/// <param name="NumLayers">Transformer blocks.</param>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="HeadDim">Width of one head.</param>
/// <param name="InChannels">Latent channels in.</param>
/// <param name="OutChannels">Channels out (2× in with learned sigma).</param>
/// <param name="PatchSize">Patch side.</param>
/// <param name="SampleSize">Trained latent side (its tokens per side set the position table's base size).</param>
/// <param name="CaptionChannels">Text-encoder width.</param>
/// <param name="CrossAttentionDim">Width of the projected caption (= the model width).</param>
/// <param name="InterpolationScale">Position-table interpolation scale.</param>
/// <param name="NormEps">Layer-norm epsilon.</param>
public sealed record PixArtConfig(int NumLayers, int NumHeads, int HeadDim, int InChannels, int OutChannels, int PatchSize, int SampleSize,
    int CaptionChannels, int CrossAttentionDim, double InterpolationScale, double NormEps = 1e-6)
{
    /// <summary>Model width D = heads × head width.</summary>
    public int HiddenSize => NumHeads * HeadDim;

    /// <summary>Tokens per side at the trained size: the position table's base size.</summary>
    public int BaseSize => SampleSize / PatchSize;

    /// <summary>PixArt-Sigma-XL at 1024 px (latent 128) or 2048 px (latent 256).</summary>
    public static PixArtConfig SigmaXL(int imageSize = 1024) => imageSize switch
    {
        1024 => new(28, 16, 72, 4, 8, 2, 128, 4096, 1152, 2),
        2048 => new(28, 16, 72, 4, 8, 2, 256, 4096, 1152, 4),
        512 => new(28, 16, 72, 4, 8, 2, 64, 4096, 1152, 1),
        _ => throw new NotSupportedException($"PixArt-Sigma-XL comes at 512, 1024 or 2048 px; got {imageSize}."),
    };

    /// <summary>Reads a diffusers <c>config.json</c> of a PixArtTransformer2DModel.</summary>
    public static PixArtConfig ParseDiffusers(string json, string source)
    {
        try
        {
            var o = ConfigJson.Parse(json, source);
            if (o["_class_name"]?.GetValue<string>() is string name && name != "PixArtTransformer2DModel")
                throw new CheckpointFormatException(source, $"is a {name}, not a PixArtTransformer2DModel.");
            if (o["norm_type"]?.GetValue<string>() is string norm && norm != "ada_norm_single")
                throw new CheckpointFormatException(source, $"has norm_type '{norm}'; PixArt uses ada_norm_single.");
            if (o["use_additional_conditions"]?.GetValue<bool>() == true)
                throw new CheckpointFormatException(source,
                    "uses resolution/aspect-ratio micro-conditions (PixArt-α 1024); only PixArt-Sigma-style models without them are supported.");
            int heads = Required(o, "num_attention_heads", source), headDim = Required(o, "attention_head_dim", source);
            int inChannels = o["in_channels"]?.GetValue<int>() ?? 4;
            var config = new PixArtConfig(
                Required(o, "num_layers", source), heads, headDim, inChannels, o["out_channels"]?.GetValue<int>() ?? inChannels,
                o["patch_size"]?.GetValue<int>() ?? 2, Required(o, "sample_size", source), Required(o, "caption_channels", source),
                o["cross_attention_dim"]?.GetValue<int>() ?? heads * headDim,
                o["interpolation_scale"]?.GetValue<double>() ?? Math.Max(1, Required(o, "sample_size", source) / 64),
                o["norm_eps"]?.GetValue<double>() ?? 1e-6);
            ConfigJson.RequireSizes(source, ("num_layers", config.NumLayers), ("num_attention_heads", heads), ("attention_head_dim", headDim),
                ("in_channels", config.InChannels), ("out_channels", config.OutChannels), ("patch_size", config.PatchSize),
                ("sample_size", config.SampleSize), ("caption_channels", config.CaptionChannels),
                ("cross_attention_dim", config.CrossAttentionDim), ("hidden size", checked(heads * headDim)));
            if (!(config.InterpolationScale > 0 && config.InterpolationScale < 1e6))
                throw new CheckpointFormatException(source, $"interpolation_scale {config.InterpolationScale} is not positive.");
            return config;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new CheckpointFormatException(source, $"is not a valid PixArt config ({e.Message}).", e);
        }
    }

    private static int Required(JsonObject o, string key, string source) =>
        o[key]?.GetValue<int>() ?? throw new CheckpointFormatException(source, $"lacks '{key}'.");
}
