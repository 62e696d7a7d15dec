using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Models.DiT;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// DiT configs as JSON: the reference field names (input_size, patch_size, in_channels, hidden_size, depth,
/// num_heads, num_classes, learn_sigma), as stored in safetensors metadata or a config.json beside a checkpoint,
/// and diffusers' transformer/config.json.
/// </summary>
public static class DiTConfigJson
{
    /// <summary>Parses the reference-style JSON object.</summary>
    public static DiTConfig ParseReference(string json, string source)
    {
        try
        {
            var o = ConfigJson.Parse(json, source);
            return Validated(new DiTConfig(
                Req(o, "input_size", source), Req(o, "patch_size", source), Req(o, "in_channels", source),
                Req(o, "hidden_size", source), Req(o, "depth", source), Req(o, "num_heads", source), Req(o, "num_classes", source),
                o["learn_sigma"]?.GetValue<bool>() ?? true)
            {
                MlpRatio = o["mlp_ratio"]?.GetValue<double>() ?? 4.0,
            }, source);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new CheckpointFormatException(source, $"invalid DiT config JSON ({e.Message}).", e);
        }
    }

    /// <summary>Writes the reference-style JSON object.</summary>
    public static string ToReferenceJson(DiTConfig c) => new JsonObject
    {
        ["input_size"] = c.InputSize,
        ["patch_size"] = c.PatchSize,
        ["in_channels"] = c.InChannels,
        ["hidden_size"] = c.HiddenSize,
        ["depth"] = c.Depth,
        ["num_heads"] = c.NumHeads,
        ["num_classes"] = c.NumClasses,
        ["learn_sigma"] = c.LearnSigma,
        ["mlp_ratio"] = c.MlpRatio,
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Parses a diffusers transformer config.json of a DiT (norm_type ada_norm_zero).</summary>
    public static DiTConfig ParseDiffusers(string path)
    {
        JsonObject o;
        o = ConfigJson.Parse(File.ReadAllText(path), path);
        string? norm;
        try { norm = o["norm_type"]?.GetValue<string>(); }
        catch (InvalidOperationException e) { throw new CheckpointFormatException(path, $"invalid norm_type ({e.Message}).", e); }
        if (norm is not null && norm != "ada_norm_zero")
            throw new CheckpointFormatException(path, $"norm_type '{norm}' is not a DiT (expected ada_norm_zero; PixArt uses ada_norm_single).");
        try
        {
            int heads = Req(o, "num_attention_heads", path), headDim = Req(o, "attention_head_dim", path);
            int inCh = Req(o, "in_channels", path);
            int outCh = o["out_channels"]?.GetValue<int>() ?? inCh;
            if (outCh != inCh && outCh != 2 * inCh)
                throw new CheckpointFormatException(path, $"out_channels {outCh} is neither in_channels {inCh} nor twice it.");
            ConfigJson.RequireSizes(path, ("num_attention_heads", heads), ("attention_head_dim", headDim));
            return Validated(new DiTConfig(Req(o, "sample_size", path), Req(o, "patch_size", path), inCh, checked(heads * headDim),
                Req(o, "num_layers", path), heads, Req(o, "num_embeds_ada_norm", path), outCh == 2 * inCh)
            {
                Flavor = DiTFlavor.Diffusers,
            }, path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException)
        {
            throw new CheckpointFormatException(path, $"invalid diffusers config ({e.Message}).", e);
        }
    }

    /// <summary>Refuses sizes outside 1..2²⁰ (class count 0..2²⁰, MLP ratio in (0, 64]) before any model is built.</summary>
    private static DiTConfig Validated(DiTConfig c, string source)
    {
        ConfigJson.RequireSizes(source, ("input_size", c.InputSize), ("patch_size", c.PatchSize), ("in_channels", c.InChannels),
            ("hidden_size", c.HiddenSize), ("depth", c.Depth), ("num_heads", c.NumHeads), ("num_classes + 1", c.NumClasses + 1));
        if (!(c.MlpRatio > 0 && c.MlpRatio <= 64)) throw new CheckpointFormatException(source, $"mlp_ratio {c.MlpRatio} is outside (0, 64].");
        return c;
    }

    private static int Req(JsonObject o, string name, string source) =>
        o[name]?.GetValue<int>() ?? throw new CheckpointFormatException(source, $"config field '{name}' is missing.");
}
