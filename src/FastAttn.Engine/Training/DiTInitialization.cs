using FastAttn.Engine.Models.DiT;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Training;

/// <summary>
/// The reference DiT initialisation: Xavier-uniform linear (and patch-embedding) weights with zero biases, N(0, 0.02)
/// label and timestep embeddings, and adaLN-Zero: every modulation layer and the final linear start at zero, so each
/// block starts as the identity.
/// </summary>
public static class DiTInitialization
{
    /// <summary>Initialises <paramref name="model"/> in place.</summary>
    public static void Apply(DiTModel model, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = no_grad();
        manual_seed(seed);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains("adaLN_modulation", StringComparison.Ordinal) || name.StartsWith("final_layer.linear", StringComparison.Ordinal))
                p.zero_();
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (name.Contains("embedding_table", StringComparison.Ordinal) || name.Contains("t_embedder", StringComparison.Ordinal))
                nn.init.normal_(p, 0, 0.02);
            else if (p.dim() == 4) nn.init.xavier_uniform_(p.view(p.shape[0], -1));
            else if (p.dim() == 2) nn.init.xavier_uniform_(p);
        }
    }
}
