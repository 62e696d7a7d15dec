using FastAttn.Engine.Attention.Windows;

namespace FastAttn.Engine.Attention.Costs;

/// <summary>What each attention method and window implementation costs at a shape on the current device.</summary>
public interface IAttentionCostModel
{
    /// <summary>The latencies at <paramref name="shape"/>.</summary>
    AttentionCosts CostsFor(AttentionShape shape, CancellationToken cancellationToken = default);

    /// <summary>The window implementation the engine should use at <paramref name="shape"/>: the fastest.</summary>
    WindowImplementation DefaultWindow(AttentionShape shape, CancellationToken cancellationToken = default) =>
        CostsFor(shape, cancellationToken).DefaultWindow;
}

/// <summary>Measures the latencies at a shape (the real one times the engine's kernels; tests give fakes).</summary>
public interface IAttentionCostMeasurer
{
    /// <summary>Measures <paramref name="shape"/> on this device.</summary>
    AttentionCosts Measure(AttentionShape shape, CancellationToken cancellationToken = default);
}

/// <summary>A cost model with given numbers (tests, or costs measured elsewhere); no timing.</summary>
public sealed class FixedCostModel : IAttentionCostModel
{
    private readonly Func<AttentionShape, AttentionCosts> _costs;

    /// <summary>The same costs for every shape.</summary>
    public FixedCostModel(AttentionCosts costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        _costs = _ => costs;
    }

    /// <summary>Costs computed from the shape.</summary>
    public FixedCostModel(Func<AttentionShape, AttentionCosts> costs) => _costs = costs ?? throw new ArgumentNullException(nameof(costs));

    /// <inheritdoc />
    public AttentionCosts CostsFor(AttentionShape shape, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return _costs(shape);
    }
}
