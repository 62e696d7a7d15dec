using static TorchSharp.torch;

namespace FastAttn.Engine.Models.Vae;

/// <summary>Selects the decoder's tensors from a full AutoencoderKL state dict and renames legacy attention keys.</summary>
internal static class VaeKeyMap
{
    private static readonly (string Old, string New)[] LegacyAttention =
    [
        (".query.", ".to_q."),
        (".key.", ".to_k."),
        (".value.", ".to_v."),
        (".proj_attn.", ".to_out.0."),
    ];

    /// <summary>
    /// The decoder part of <paramref name="all"/> (tensors are shared, not copied): encoder.* and quant_conv.* are
    /// skipped on purpose (a decoder needs neither); legacy mid-block attention names are renamed, and 1×1-conv shaped
    /// attention weights squeezed to linear ones.
    /// </summary>
    public static Dictionary<string, Tensor> ToDecoderKeys(Dictionary<string, Tensor> all)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in all.ToList())
        {
            if (key.StartsWith("encoder.", StringComparison.Ordinal) || key.StartsWith("quant_conv.", StringComparison.Ordinal)) continue;
            var name = key;
            var t = tensor;
            if (key.Contains(".attentions.", StringComparison.Ordinal))
            {
                foreach (var (o, n) in LegacyAttention) name = name.Replace(o, n, StringComparison.Ordinal);
                if (t.dim() == 4 && t.shape[2] == 1 && t.shape[3] == 1 && !name.Contains("group_norm", StringComparison.Ordinal))
                {
                    t = t.reshape(t.shape[0], t.shape[1]);
                    all[key] = t; // the caller disposes the dictionary's tensors; keep the reshaped one there
                    tensor.Dispose();
                }
            }
            result[name] = t;
        }
        return result;
    }
}
