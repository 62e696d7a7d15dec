using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Maps the original PixArt(-Sigma) repository's state dict (<c>x_embedder</c>, <c>t_embedder</c>, <c>t_block</c>,
/// <c>y_embedder</c>, <c>blocks.i.{attn.qkv, cross_attn.q_linear/kv_linear}</c>, <c>final_layer</c>) onto diffusers'
/// <c>PixArtTransformer2DModel</c> names, splitting the fused qkv and kv projections. The fixed <c>pos_embed</c> buffer is
/// dropped (the model recomputes its position table for every grid).
/// </summary>
public static partial class PixArtKeyMap
{
    /// <summary>Whether <paramref name="keys"/> are in the original repository's layout.</summary>
    public static bool IsOriginalLayout(IEnumerable<string> keys) =>
        keys.Any(k => k.StartsWith("x_embedder.", StringComparison.Ordinal) || k.StartsWith("t_block.", StringComparison.Ordinal));

    /// <summary>The diffusers-named state dict for an original-layout one (tensors are shared or split views, not copies).</summary>
    public static Dictionary<string, Tensor> FromOriginal(IReadOnlyDictionary<string, Tensor> original, string source)
    {
        ArgumentNullException.ThrowIfNull(original);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in original)
        {
            if (key == "pos_embed") continue;
            if (key.StartsWith("csize_embedder.", StringComparison.Ordinal) || key.StartsWith("ar_embedder.", StringComparison.Ordinal))
                throw new CheckpointFormatException(source,
                    $"has micro-condition embedders ('{key}', PixArt-α 1024); only PixArt-Sigma-style models are supported.");
            var block = BlockKey().Match(key);
            if (block.Success)
            {
                string prefix = $"transformer_blocks.{block.Groups[1].Value}.", rest = block.Groups[2].Value;
                switch (rest)
                {
                    case var r when r.StartsWith("attn.qkv.", StringComparison.Ordinal):
                        Split(result, value, 3,
                            [prefix + "attn1.to_q." + Suffix(r), prefix + "attn1.to_k." + Suffix(r), prefix + "attn1.to_v." + Suffix(r)]);
                        continue;
                    case var r when r.StartsWith("cross_attn.kv_linear.", StringComparison.Ordinal):
                        Split(result, value, 2, [prefix + "attn2.to_k." + Suffix(r), prefix + "attn2.to_v." + Suffix(r)]);
                        continue;
                }
                result[prefix + BlockName(rest, key, source)] = value;
                continue;
            }
            result[TopName(key, source)] = value;
        }
        return result;
    }

    /// <summary>The original-layout state dict for a diffusers-named one (the inverse, used to test the map).</summary>
    public static Dictionary<string, Tensor> ToOriginal(IReadOnlyDictionary<string, Tensor> diffusers)
    {
        ArgumentNullException.ThrowIfNull(diffusers);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var inverseTop = Top.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        var inverseBlock = Block.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        foreach (var (key, value) in diffusers)
        {
            var m = DiffusersBlockKey().Match(key);
            if (!m.Success) { result[inverseTop[key]] = value; continue; }
            string prefix = $"blocks.{m.Groups[1].Value}.", rest = m.Groups[2].Value, suffix = Suffix(rest);
            if (rest.StartsWith("attn1.to_q.", StringComparison.Ordinal))
                result[prefix + "attn.qkv." + suffix] = cat([value, diffusers[key.Replace("to_q", "to_k", StringComparison.Ordinal)],
                    diffusers[key.Replace("to_q", "to_v", StringComparison.Ordinal)]], 0);
            else if (rest.StartsWith("attn2.to_k.", StringComparison.Ordinal))
                result[prefix + "cross_attn.kv_linear." + suffix] = cat([value, diffusers[key.Replace("to_k", "to_v", StringComparison.Ordinal)]], 0);
            else if (rest.StartsWith("attn1.to_k.", StringComparison.Ordinal) || rest.StartsWith("attn1.to_v.", StringComparison.Ordinal)
                || rest.StartsWith("attn2.to_v.", StringComparison.Ordinal))
                continue;
            else
                result[prefix + inverseBlock[rest]] = value;
        }
        return result;
    }

    private static readonly Dictionary<string, string> Top = new(StringComparer.Ordinal)
    {
        ["x_embedder.proj.weight"] = "pos_embed.proj.weight",
        ["x_embedder.proj.bias"] = "pos_embed.proj.bias",
        ["t_embedder.mlp.0.weight"] = "adaln_single.emb.timestep_embedder.linear_1.weight",
        ["t_embedder.mlp.0.bias"] = "adaln_single.emb.timestep_embedder.linear_1.bias",
        ["t_embedder.mlp.2.weight"] = "adaln_single.emb.timestep_embedder.linear_2.weight",
        ["t_embedder.mlp.2.bias"] = "adaln_single.emb.timestep_embedder.linear_2.bias",
        ["t_block.1.weight"] = "adaln_single.linear.weight",
        ["t_block.1.bias"] = "adaln_single.linear.bias",
        ["y_embedder.y_proj.fc1.weight"] = "caption_projection.linear_1.weight",
        ["y_embedder.y_proj.fc1.bias"] = "caption_projection.linear_1.bias",
        ["y_embedder.y_proj.fc2.weight"] = "caption_projection.linear_2.weight",
        ["y_embedder.y_proj.fc2.bias"] = "caption_projection.linear_2.bias",
        ["y_embedder.y_embedding"] = "caption_projection.y_embedding",
        ["final_layer.linear.weight"] = "proj_out.weight",
        ["final_layer.linear.bias"] = "proj_out.bias",
        ["final_layer.scale_shift_table"] = "scale_shift_table",
    };

    private static readonly Dictionary<string, string> Block = new(StringComparer.Ordinal)
    {
        ["scale_shift_table"] = "scale_shift_table",
        ["attn.proj.weight"] = "attn1.to_out.0.weight",
        ["attn.proj.bias"] = "attn1.to_out.0.bias",
        ["cross_attn.q_linear.weight"] = "attn2.to_q.weight",
        ["cross_attn.q_linear.bias"] = "attn2.to_q.bias",
        ["cross_attn.proj.weight"] = "attn2.to_out.0.weight",
        ["cross_attn.proj.bias"] = "attn2.to_out.0.bias",
        ["mlp.fc1.weight"] = "ff.net.0.proj.weight",
        ["mlp.fc1.bias"] = "ff.net.0.proj.bias",
        ["mlp.fc2.weight"] = "ff.net.2.weight",
        ["mlp.fc2.bias"] = "ff.net.2.bias",
    };

    private static string TopName(string key, string source) =>
        Top.TryGetValue(key, out var name) ? name : throw new CheckpointFormatException(source, $"has an unknown PixArt key '{key}'.");

    private static string BlockName(string rest, string key, string source) =>
        Block.TryGetValue(rest, out var name) ? name : throw new CheckpointFormatException(source, $"has an unknown PixArt block key '{key}'.");

    private static string Suffix(string key) => key[(key.LastIndexOf('.') + 1)..];

    private static void Split(Dictionary<string, Tensor> into, Tensor fused, int parts, string[] names)
    {
        var chunks = fused.chunk(parts, 0);
        for (int i = 0; i < parts; i++) into[names[i]] = chunks[i];
    }

    [GeneratedRegex(@"^blocks\.(\d+)\.(.+)$")]
    private static partial Regex BlockKey();

    [GeneratedRegex(@"^transformer_blocks\.(\d+)\.(.+)$")]
    private static partial Regex DiffusersBlockKey();
}
