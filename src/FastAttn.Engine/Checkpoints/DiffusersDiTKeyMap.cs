using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Renames a diffusers DiT state dict (Transformer2DModel / DiTTransformer2DModel, ada_norm_zero) to the reference
/// keys: split q/k/v re-fused into qkv, per-block embedder copies folded into one pair when they are identical
/// (they are in converted checkpoints), kept per block otherwise.
/// </summary>
public static partial class DiffusersDiTKeyMap
{
    private static readonly (string From, string To)[] BlockRenames =
    [
        ("norm1.linear.", "adaLN_modulation.1."),
        ("attn1.to_out.0.", "attn.proj."),
        ("ff.net.0.proj.", "mlp.fc1."),
        ("ff.net.2.", "mlp.fc2."),
    ];

    private static readonly (string From, string To)[] EmbedderRenames =
    [
        ("norm1.emb.timestep_embedder.linear_1.", "t_embedder.mlp.0."),
        ("norm1.emb.timestep_embedder.linear_2.", "t_embedder.mlp.2."),
        ("norm1.emb.class_embedder.embedding_table.", "y_embedder.embedding_table."),
    ];

    /// <summary>Whether <paramref name="keys"/> look like a diffusers DiT.</summary>
    public static bool IsDiffusersLayout(IEnumerable<string> keys) =>
        keys.Any(k => k.StartsWith("transformer_blocks.", StringComparison.Ordinal) || k.StartsWith("pos_embed.proj.", StringComparison.Ordinal));

    /// <summary>
    /// Converts <paramref name="source"/> (consumed: its tensors are moved or disposed) to reference keys.
    /// <paramref name="perBlockConditioning"/> tells whether the blocks' embedder copies differ.
    /// </summary>
    public static Dictionary<string, Tensor> ToReference(Dictionary<string, Tensor> source, out bool perBlockConditioning)
    {
        ArgumentNullException.ThrowIfNull(source);
        var result = new Dictionary<string, Tensor>();
        perBlockConditioning = !EmbedderCopiesEqual(source);
        var qkv = new Dictionary<(int Block, string Param), Tensor?[]>();
        foreach (var (key, tensor) in source)
        {
            if (key.StartsWith("pos_embed.proj.", StringComparison.Ordinal))
            {
                result["x_embedder.proj." + key["pos_embed.proj.".Length..]] = tensor;
                continue;
            }
            if (key.StartsWith("proj_out_1.", StringComparison.Ordinal))
            {
                result["final_layer.adaLN_modulation.1." + key["proj_out_1.".Length..]] = tensor;
                continue;
            }
            if (key.StartsWith("proj_out_2.", StringComparison.Ordinal))
            {
                result["final_layer.linear." + key["proj_out_2.".Length..]] = tensor;
                continue;
            }
            var m = BlockKey().Match(key);
            if (!m.Success) { result[key] = tensor; continue; }                  // unknown: left for the strict check to report
            int block = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            string rest = m.Groups[2].Value;
            var qkvMatch = QkvKey().Match(rest);
            if (qkvMatch.Success)
            {
                var slot = qkvMatch.Groups[1].Value switch { "q" => 0, "k" => 1, _ => 2 };
                var param = qkvMatch.Groups[2].Value;
                if (!qkv.TryGetValue((block, param), out var parts)) qkv[(block, param)] = parts = new Tensor?[3];
                parts[slot] = tensor;
                continue;
            }
            var emb = EmbedderRenames.FirstOrDefault(r => rest.StartsWith(r.From, StringComparison.Ordinal));
            if (emb.From is not null)
            {
                var newKey = emb.To + rest[emb.From.Length..];
                if (perBlockConditioning) result[$"block_embedders.{block}.{newKey}"] = tensor;
                else if (block == 0) result[newKey] = tensor;
                else tensor.Dispose();
                continue;
            }
            var ren = BlockRenames.FirstOrDefault(r => rest.StartsWith(r.From, StringComparison.Ordinal));
            result[ren.From is null ? key : $"blocks.{block}.{ren.To}{rest[ren.From.Length..]}"] = tensor;
        }
        foreach (var ((block, param), parts) in qkv)
        {
            if (parts.Any(p => p is null))
            {
                // incomplete q/k/v: keep what exists under the diffusers names so the strict check names them
                var names = new[] { "to_q", "to_k", "to_v" };
                for (int i = 0; i < 3; i++) if (parts[i] is Tensor t) result[$"transformer_blocks.{block}.attn1.{names[i]}.{param}"] = t;
                continue;
            }
            result[$"blocks.{block}.attn.qkv.{param}"] = cat(parts!, 0);
            foreach (var p in parts) p!.Dispose();
        }
        return result;
    }

    private static bool EmbedderCopiesEqual(Dictionary<string, Tensor> source)
    {
        foreach (var (key, tensor) in source)
        {
            var m = BlockKey().Match(key);
            if (!m.Success || m.Groups[1].Value == "0" || !m.Groups[2].Value.StartsWith("norm1.emb.", StringComparison.Ordinal)) continue;
            if (!source.TryGetValue("transformer_blocks.0." + m.Groups[2].Value, out var first)) return false;
            if (!first.shape.SequenceEqual(tensor.shape) || !first.allclose(tensor, 0, 0)) return false;
        }
        return true;
    }

    [GeneratedRegex(@"^transformer_blocks\.(\d+)\.(.+)$")]
    private static partial Regex BlockKey();

    [GeneratedRegex(@"^attn1\.to_([qkv])\.(weight|bias)$")]
    private static partial Regex QkvKey();
}
