using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;

namespace FastAttn.Engine.Models.TextEncoder;

/// <summary>
/// A T5-v1.1 encoder's shape (Hugging Face <c>T5Config</c> field names). PixArt-Sigma uses T5-v1.1-XXL: d_model 4096,
/// 64 heads × 64, d_ff 10240, 24 layers, gated-GELU, 32 buckets up to distance 128.
/// </summary>
/// <param name="VocabSize">Vocabulary size.</param>
/// <param name="DModel">Model width.</param>
/// <param name="DKv">Width of one head.</param>
/// <param name="NumHeads">Attention heads.</param>
/// <param name="DFf">Feed-forward width.</param>
/// <param name="NumLayers">Encoder blocks.</param>
/// <param name="RelativeAttentionNumBuckets">Relative-position buckets.</param>
/// <param name="RelativeAttentionMaxDistance">Distance beyond which buckets are shared.</param>
/// <param name="LayerNormEpsilon">RMS-norm epsilon.</param>
public sealed record T5Config(int VocabSize, int DModel, int DKv, int NumHeads, int DFf, int NumLayers,
    int RelativeAttentionNumBuckets = 32, int RelativeAttentionMaxDistance = 128, double LayerNormEpsilon = 1e-6)
{
    /// <summary>T5-v1.1-XXL, PixArt-Sigma's text encoder (4.7 B parameters in the encoder).</summary>
    public static T5Config V11Xxl { get; } = new(32128, 4096, 64, 64, 10240, 24);

    /// <summary>Reads a Hugging Face T5 <c>config.json</c>; only the gated-GELU (v1.1) feed-forward is supported.</summary>
    public static T5Config Parse(string json, string source)
    {
        try
        {
            var o = ConfigJson.Parse(json, source);
            var ff = o["feed_forward_proj"]?.GetValue<string>() ?? "relu";
            if (ff != "gated-gelu")
                throw new CheckpointFormatException(source, $"has feed_forward_proj '{ff}'; only T5-v1.1's gated-gelu is supported.");
            int Get(string key) => o[key]?.GetValue<int>() ?? throw new CheckpointFormatException(source, $"lacks '{key}'.");
            var c = new T5Config(Get("vocab_size"), Get("d_model"), Get("d_kv"), Get("num_heads"), Get("d_ff"), Get("num_layers"),
                o["relative_attention_num_buckets"]?.GetValue<int>() ?? 32, o["relative_attention_max_distance"]?.GetValue<int>() ?? 128,
                o["layer_norm_epsilon"]?.GetValue<double>() ?? 1e-6);
            ConfigJson.RequireSizes(source, ("vocab_size", c.VocabSize), ("d_model", c.DModel), ("d_kv", c.DKv), ("num_heads", c.NumHeads),
                ("d_ff", c.DFf), ("num_layers", c.NumLayers), ("relative_attention_num_buckets", c.RelativeAttentionNumBuckets),
                ("relative_attention_max_distance", c.RelativeAttentionMaxDistance), ("inner width", checked(c.DKv * c.NumHeads)));
            return c;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new CheckpointFormatException(source, $"is not a valid T5 config ({e.Message}).", e);
        }
    }
}
