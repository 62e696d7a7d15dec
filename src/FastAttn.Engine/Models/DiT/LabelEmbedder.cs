using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>
/// Embeds class labels. The table has one extra row (index <c>numClasses</c>) for the null label that
/// classifier-free guidance uses; training replaces labels with it at random (label dropout).
/// </summary>
public sealed class LabelEmbedder : Module<Tensor, Tensor>
{
    private readonly Embedding embedding_table;

    /// <summary>Number of real classes.</summary>
    public int NumClasses { get; }

    /// <summary>Creates the table for <paramref name="numClasses"/> classes (+1 null row when <paramref name="withNullClass"/>).</summary>
    public LabelEmbedder(int numClasses, int hiddenSize, bool withNullClass = true) : base(nameof(LabelEmbedder))
    {
        NumClasses = numClasses;
        embedding_table = Embedding(numClasses + (withNullClass ? 1 : 0), hiddenSize);
        RegisterComponents();
    }

    /// <summary>
    /// Replaces each label by the null label with probability <paramref name="dropProbability"/> (training-time
    /// label dropout, which teaches the unconditional model).
    /// </summary>
    public Tensor DropLabels(Tensor labels, double dropProbability, Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var drop = rand(labels.shape, ScalarType.Float32, labels.device, generator: generator).Below(dropProbability);
        return where(drop, full_like(labels, Of(NumClasses)), labels).MoveToOuterDisposeScope();
    }

    /// <summary>(N) int64 labels → (N, D).</summary>
    public override Tensor forward(Tensor labels) => embedding_table.forward(labels);
}
