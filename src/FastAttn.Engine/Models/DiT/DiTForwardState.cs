using FastAttn.Engine.Attention;
using static TorchSharp.torch;

namespace FastAttn.Engine.Models.DiT;

/// <summary>What <see cref="DiTModel.Prepare"/> computes once per forward pass: input tokens and each block's conditioning.</summary>
public sealed class DiTForwardState : ITransformerPass
{
    private readonly DiTModel _model;

    internal DiTForwardState(DiTModel model, Tensor tokens, Tensor[] conditions, Tensor finalCondition, long rows, long cols)
    {
        _model = model;
        Tokens = tokens;
        Conditions = conditions;
        FinalCondition = finalCondition;
        // SiLU of each distinct conditioning vector, once per pass (every adaLN modulation starts with it).
        var activated = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var c in conditions.Append(finalCondition))
            if (!activated.ContainsKey(c)) activated[c] = TorchSharp.torch.nn.functional.silu(c).DetachFromDisposeScope();
        Activated = conditions.Select(c => activated[c]).ToArray();
        FinalActivated = activated[finalCondition];
        Rows = rows;
        Cols = cols;
    }

    /// <summary>(N, T, D) patch tokens with positions.</summary>
    public Tensor Tokens { get; }

    /// <summary>(N, D) conditioning of each block (the same tensor for all when embedders are shared).</summary>
    public IReadOnlyList<Tensor> Conditions { get; }

    /// <summary>(N, D) conditioning of the final layer.</summary>
    public Tensor FinalCondition { get; }

    /// <summary>Token grid rows.</summary>
    public long Rows { get; }

    /// <summary>Token grid columns.</summary>
    public long Cols { get; }

    /// <inheritdoc />
    public int Depth => Conditions.Count;

    /// <summary>SiLU of each block's conditioning vector.</summary>
    internal IReadOnlyList<Tensor> Activated { get; }

    /// <summary>SiLU of the final layer's conditioning vector.</summary>
    internal Tensor FinalActivated { get; }

    /// <inheritdoc />
    public Tensor RunBlock(int index, Tensor h, ISelfAttentionRunner runner) => _model.RunBlock(index, h, this, runner);

    /// <inheritdoc />
    public Tensor Head(Tensor h) => _model.Head(h, this);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Conditions.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()) t.Dispose();
        foreach (var t in Activated.Append(FinalActivated).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()) t.Dispose();
        Tokens.Dispose();
    }
}
