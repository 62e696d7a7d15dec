using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>The conditioning vector c = t_embedder(t) + y_embedder(y) that drives every adaLN modulation.</summary>
public sealed class ConditionEmbedder : Module<Tensor, Tensor, Tensor>
{
    private readonly TimestepEmbedder t_embedder;
    private readonly LabelEmbedder y_embedder;

    /// <summary>Creates the embedders for <paramref name="config"/>.</summary>
    public ConditionEmbedder(DiTConfig config) : base(nameof(ConditionEmbedder))
    {
        t_embedder = new TimestepEmbedder(config.HiddenSize, config.Flavor == DiTFlavor.Diffusers ? 1 : 0);
        y_embedder = new LabelEmbedder(config.NumClasses, config.HiddenSize, config.HasNullClass);
        RegisterComponents();
    }

    /// <summary>The label embedder (for label dropout during training).</summary>
    public LabelEmbedder Labels => y_embedder;

    /// <summary>(N) timesteps and (N) labels → (N, D).</summary>
    public override Tensor forward(Tensor t, Tensor y)
    {
        using var te = t_embedder.forward(t);                                              // (N, D)
        using var ye = y_embedder.forward(y);                                              // (N, D)
        return te.Plus(ye);                                                                    // (N, D)
    }
}
