using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;

namespace FastAttn.Engine.Models.Vae;

/// <summary>The decoder-relevant fields of a diffusers AutoencoderKL config.json.</summary>
/// <param name="BlockOutChannels">Channels per resolution level, highest resolution first (128, 256, 512, 512 for SD VAEs).</param>
/// <param name="LayersPerBlock">Resnets per encoder level; decoder levels have one more.</param>
/// <param name="LatentChannels">Latent channels (4).</param>
/// <param name="OutChannels">Image channels (3).</param>
/// <param name="NormNumGroups">GroupNorm groups (32).</param>
/// <param name="ScalingFactor">Latents are multiplied by this after encoding (0.18215 SD, 0.13025 SDXL).</param>
/// <param name="ShiftFactor">Optional latent shift (SD3/Flux); null for SD/SDXL VAEs.</param>
public sealed record VaeConfig(
    IReadOnlyList<int> BlockOutChannels,
    int LayersPerBlock = 2,
    int LatentChannels = 4,
    int OutChannels = 3,
    int NormNumGroups = 32,
    double ScalingFactor = 0.18215,
    double? ShiftFactor = null)
{
    /// <summary>Whether the mid block has its self-attention (true for every SD-family VAE).</summary>
    public bool MidBlockAttention { get; init; } = true;

    /// <summary>The sd-vae-ft-ema / -mse architecture.</summary>
    public static VaeConfig StableDiffusion { get; } = new([128, 256, 512, 512]);

    /// <summary>Spatial upsampling factor: 2^(levels − 1).</summary>
    public int DownscaleFactor => 1 << (BlockOutChannels.Count - 1);

    /// <summary>Reads a diffusers config.json.</summary>
    public static VaeConfig FromJson(string path)
    {
        try
        {
            var o = ConfigJson.Parse(File.ReadAllText(path), path);
            var channels = o["block_out_channels"]?.AsArray().Select(n => n?.GetValue<int>() ?? 0).ToArray()
                ?? throw new InvalidDataException("block_out_channels is missing");
            if (channels.Length is 0 or > 8) throw new InvalidDataException($"block_out_channels has {channels.Length} entries (1 to 8)");
            var c = new VaeConfig(channels,
                o["layers_per_block"]?.GetValue<int>() ?? 2,
                o["latent_channels"]?.GetValue<int>() ?? 4,
                o["out_channels"]?.GetValue<int>() ?? 3,
                o["norm_num_groups"]?.GetValue<int>() ?? 32,
                o["scaling_factor"]?.GetValue<double>() ?? 0.18215,
                o["shift_factor"] is JsonValue v ? v.GetValue<double>() : null)
            {
                MidBlockAttention = o["mid_block_add_attention"]?.GetValue<bool>() ?? true,
            };
            ConfigJson.RequireSizes(path, [("layers_per_block", c.LayersPerBlock), ("latent_channels", c.LatentChannels),
                ("out_channels", c.OutChannels), ("norm_num_groups", c.NormNumGroups), .. channels.Select(ch => ("block_out_channels", ch))]);
            return c;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or InvalidDataException or FormatException)
        {
            throw new CheckpointFormatException(path, $"invalid VAE config ({e.Message}).", e);
        }
    }
}
