using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using static TorchSharp.torch;

namespace FastAttn.Engine.Compression;

/// <summary>The device and the measured costs a family's plan search orders its candidates by.</summary>
internal static class SearchCosts
{
    /// <summary>The device <paramref name="transformer"/>'s weights are on (CPU when it has none).</summary>
    public static Device DeviceOf(nn.Module transformer) => transformer.parameters().FirstOrDefault()?.device ?? CPU;

    /// <summary>
    /// The costs of one attention layer of <paramref name="heads"/> heads and width <paramref name="hidden"/> at
    /// <paramref name="tokens"/> tokens with <paramref name="window"/>, one CFG pair, on <paramref name="device"/> — from the
    /// options' cost model, else the device's shared one — when <paramref name="options"/> use the measured order; else null.
    /// </summary>
    public static AttentionCosts? For(PlanSearchOptions options, Device device, int tokens, int heads, int hidden, WindowSpec window,
        CancellationToken cancellationToken)
    {
        if (options.CandidateOrder != CandidateOrder.Measured) return null;
        var model = options.CostModel ?? SharedCostModels.For(device);
        return model.CostsFor(PlanCosts.ShapeFor(tokens, heads, hidden, window), cancellationToken);
    }

    /// <summary>The search's report with the plan's predicted attention-time fraction under <paramref name="costs"/> (none: as is).</summary>
    public static PlanSearchReport WithPrediction(PlanSearchReport report, AttentionMethod[][] methods, AttentionCosts? costs, bool cfgBatch) =>
        costs is null ? report : report with { PredictedAttentionTimeFraction = PlanCosts.AttentionTimeFraction(methods, costs, cfgBatch) };
}
