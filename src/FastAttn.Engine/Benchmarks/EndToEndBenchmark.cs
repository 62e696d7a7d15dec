using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;

namespace FastAttn.Engine.Benchmarks;

/// <summary>One configuration of an end-to-end benchmark: a preset name and its plan (null = raw, full attention).</summary>
/// <param name="Preset">raw, D1..D6 or any label.</param>
/// <param name="Plan">The plan, or null for the uncompressed model.</param>
public sealed record EndToEndCase(string Preset, CompressionPlan? Plan);

/// <summary>One timed generation: whole wall time, time in each part of the transformer, fallbacks.</summary>
/// <param name="Seconds">Wall time of the whole generation.</param>
/// <param name="Fallbacks">Entries that fell back to full attention.</param>
/// <param name="Modules">Time in each part of the transformer (null when not timed).</param>
public sealed record EndToEndTiming(double Seconds, int Fallbacks, ModuleTimes? Modules = null)
{
    /// <summary>Time in the self-attention modules the plans compress (null when not timed).</summary>
    public double? AttentionSeconds => Modules?.Attention.TotalSeconds;
}

/// <summary>One preset measured end to end against raw in the same run.</summary>
/// <param name="Preset">The preset.</param>
/// <param name="MedianSeconds">Median wall time of a whole generation (sampling loop and decoding).</param>
/// <param name="SpreadSeconds">Max − min over the repetitions.</param>
/// <param name="LatencyFraction">Median over rounds of this preset's time / raw's time in the same round.</param>
/// <param name="AttentionSeconds">Median time spent in the self-attention modules.</param>
/// <param name="AttentionLatencyFraction">Median over rounds of attention time / raw's attention time.</param>
/// <param name="AttentionShare">Raw's attention time / raw's total time, medians over rounds (the same for every row).</param>
/// <param name="FlopsFraction">Attention-module FLOPs fraction of the plan (the paper's measure).</param>
/// <param name="KernelFlopsFraction">QKᵀ/AV-only FLOPs fraction.</param>
/// <param name="TransformerFlopsFraction">
/// Whole-transformer FLOPs fraction of raw's (self-, temporal and cross-attention, MLP, modulation; raw and every preset run the
/// generation's temporal plan, if any).
/// </param>
/// <param name="PredictedFraction">What FLOPs alone predict end to end: 1 − share·(1 − module fraction).</param>
/// <param name="Fallbacks">(step, layer) entries that fell back to full attention (0 for a sound plan).</param>
public sealed record EndToEndRow(string Preset, double MedianSeconds, double SpreadSeconds, double LatencyFraction, double AttentionSeconds,
    double AttentionLatencyFraction, double AttentionShare, double FlopsFraction, double KernelFlopsFraction, double TransformerFlopsFraction,
    double PredictedFraction, int Fallbacks)
{
    /// <summary>Measured saving over predicted saving, (1 − measured) / (1 − predicted); 1 = FLOPs fully turned into time (raw: 1).</summary>
    public double SavingRatio => PredictedFraction < 1 ? (1 - LatencyFraction) / (1 - PredictedFraction) : 1;

    /// <summary>
    /// The plan's attention-module time as a fraction of raw's under the measured cost model
    /// (<see cref="PlanCosts.AttentionTimeFraction(AttentionMethod[][], AttentionCosts, bool)"/>, refresh steps included);
    /// null without a cost model or the model's heads.
    /// </summary>
    public double? CostAttentionFraction { get; init; }

    /// <summary>
    /// The plan's transformer-block time (attention, MLP and the rest) as a fraction of raw's under the cost model, the MLP and
    /// the rest charged by <see cref="BlockCosts.FromFlops"/>; null without a cost model.
    /// </summary>
    public double? CostTransformerFraction { get; init; }

    /// <summary>
    /// Raw's block time over its total time: measured (median over rounds) when the parts were timed
    /// (<see cref="PartsMeasured"/>), else estimated from the measured attention share and the block costs.
    /// </summary>
    public double? TransformerShare { get; init; }

    /// <summary>The per-(step, layer) block costs the prediction charged (the same for every row); null without a cost model.</summary>
    public BlockCosts? PartCosts { get; init; }

    /// <summary>Whether <see cref="PartCosts"/> were measured inside raw's runs (<see cref="BlockCosts.FromMeasured"/>), not derived from FLOPs.</summary>
    public bool PartsMeasured { get; init; }

    /// <summary>
    /// What the cost model predicts end to end: 1 − blockShare·(1 − <see cref="CostTransformerFraction"/>) (for an attention-only
    /// plan the same as 1 − share·(1 − <see cref="CostAttentionFraction"/>)); null without one.
    /// </summary>
    public double? CostPredictedFraction => CostTransformerFraction is double t && TransformerShare is double ts ? 1 - ts * (1 - t)
        : CostAttentionFraction is double f ? 1 - AttentionShare * (1 - f) : null;

    /// <summary>Whether the preset's plan is all full attention: it is raw under another name, and not counted as a compressed preset.</summary>
    public bool AllFull { get; init; }
}

/// <summary>
/// Times whole generations per preset against raw, interleaved (every preset once per round, raw first) so machine noise
/// hits all alike, with the self-attention modules timed inside the same runs to give raw's attention share. Works on
/// any model family through its <see cref="PreparedGeneration"/>.
/// </summary>
public static class EndToEndBenchmark
{
    /// <summary>Runs the benchmark. A raw case is added first when <paramref name="cases"/> has none.</summary>
    /// <param name="generation">The generation to time, prepared with <see cref="GenerationRequest.TimeAttention"/>; each case runs it with its
    /// plan.</param>
    /// <param name="cases">The presets.</param>
    /// <param name="repetitions">Timed rounds (after one untimed warm-up round).</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="cancellationToken">Checked between generations and steps.</param>
    /// <param name="costModel">
    /// Attention costs on the generation's device, for each plan's cost-model prediction (measured, when needed, before
    /// anything is timed); null: no cost prediction.
    /// </param>
    public static IReadOnlyList<EndToEndRow> Run(PreparedGeneration generation, IReadOnlyList<EndToEndCase> cases, int repetitions,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default, IAttentionCostModel? costModel = null)
    {
        ArgumentNullException.ThrowIfNull(generation);
        ArgumentNullException.ThrowIfNull(cases);
        if (repetitions < 1) throw new ArgumentOutOfRangeException(nameof(repetitions), "At least one repetition is required.");
        if (!generation.Request.TimeAttention)
            throw new ArgumentException("Prepare the generation with TimeAttention = true: the benchmark needs the attention time.",
                nameof(generation));
        var all = cases.Any(c => c.Plan is null) ? cases.OrderBy(c => c.Plan is null ? 0 : 1).ToList() : [new EndToEndCase("raw", null), .. cases];
        var predicted = all.Select(c => CostFraction(c.Plan, generation.AttentionShape, costModel, cancellationToken)).ToArray();
        var blockCosts = BlockCostsFor(all.Select(c => c.Plan).FirstOrDefault(p => p is not null), generation.AttentionShape, costModel,
            cancellationToken);

        var total = all.Select(_ => new List<double>()).ToArray();
        var attention = all.Select(_ => new List<double>()).ToArray();
        var fallbacks = new int[all.Count];
        var rawModules = new List<ModuleTimes>();
        for (int round = -1; round < repetitions; round++)
        {
            for (int k = 0; k < all.Count; k++)
            {
                int c = (k + Math.Max(0, round)) % all.Count;                                // rotated: no preset always runs first
                cancellationToken.ThrowIfCancellationRequested();
                var result = Time(generation, all[c].Plan, cancellationToken);
                fallbacks[c] = result.Fallbacks;
                if (round < 0) continue;                                                     // warm-up
                total[c].Add(result.Seconds);
                if (c == 0 && result.Modules is ModuleTimes modules) rawModules.Add(modules);
                attention[c].Add(result.AttentionSeconds
                    ?? throw new InvalidOperationException("The generation did not time its attention (TimeAttention)."));
            }
            progress?.Report(round < 0 ? "warm-up round done" : $"round {round + 1}/{repetitions} done");
        }

        double share = Median(total[0].Select((t, r) => attention[0][r] / t));
        double? blockShare = null;
        if (blockCosts is var (partCosts, _) && rawModules.Count == total[0].Count && generation.AttentionShape is FlopsShape entriesShape
            && BlockCosts.FromMeasured(partCosts, MedianTimes(rawModules), generation.Steps * entriesShape.Layers) is BlockCosts measured)
        {
            blockCosts = (partCosts, measured);                                              // the parts as raw ran them, not by FLOPs
            blockShare = Median(total[0].Select((t, r) => rawModules[r].Blocks.TotalSeconds / t));
        }
        var temporal = generation.TemporalPlan is CompressionPlan tp ? TemporalMethods.Of(tp) : null;
        var rawFlops = Fractions(null, generation.AttentionShape, temporal).TransformerFraction;   // the temporal plan alone (1 without)
        double rawTime = blockCosts is null ? 1 : BlockTime(generation, null, blockCosts.Value, temporal);
        return all.Select((c, i) =>
        {
            var flops = Fractions(c.Plan, generation.AttentionShape, temporal);
            return new EndToEndRow(c.Preset, Median(total[i]), total[i].Max() - total[i].Min(),
                Median(total[i].Select((t, r) => t / total[0][r])), Median(attention[i]),
                Median(attention[i].Select((t, r) => t / attention[0][r])), share,
                flops.ModuleFraction, flops.KernelFraction, flops.TransformerFraction / rawFlops, 1 - share * (1 - flops.ModuleFraction),
                fallbacks[i])
            {
                CostAttentionFraction = predicted[i],
                CostTransformerFraction = blockCosts is { } bc && predicted[i] is not null ? BlockTime(generation, c.Plan, bc, temporal) / rawTime
                    : null,
                TransformerShare = blockShare ?? (blockCosts is var (_, b) ? Math.Min(1, share * rawTime * b.BlockMs / b.AttentionMs) : null),
                PartCosts = blockCosts?.Block,
                PartsMeasured = blockShare is not null,
                AllFull = c.Plan is not null && c.Plan.Methods.All(row => row.All(m => m == AttentionMethod.Full))
                    && c.Plan.BlockCounts()[BlockMethod.Full] == c.Plan.Methods.Length * c.Plan.Layers,
            };
        }).ToList();
    }

    /// <summary>The plan's attention-time fraction under <paramref name="costModel"/> at the generation's shape (raw: 1).</summary>
    private static double? CostFraction(CompressionPlan? plan, FlopsShape? shape, IAttentionCostModel? costModel, CancellationToken ct)
    {
        if (plan is null) return costModel is null || shape?.Heads is null ? null : 1;
        if (costModel is null || shape?.Heads is not int heads) return null;
        var costs = costModel.CostsFor(PlanCosts.ShapeFor(shape.Tokens, heads, shape.Hidden, plan.Key.Window), ct);
        return PlanCosts.AttentionTimeFraction(plan.Methods, costs, shape.CfgBatch);
    }

    /// <summary>The attention costs and block costs at the generation's shape for <paramref name="plan"/>'s window; null without them.</summary>
    private static (AttentionCosts Costs, BlockCosts Block)? BlockCostsFor(CompressionPlan? plan, FlopsShape? shape, IAttentionCostModel? costModel,
        CancellationToken ct)
    {
        if (plan is null || costModel is null || shape?.Heads is not int heads) return null;
        var costs = costModel.CostsFor(PlanCosts.ShapeFor(shape.Tokens, heads, shape.Hidden, plan.Key.Window), ct);
        var block = BlockCosts.FromFlops(costs, shape);
        return block.AttentionMs > 0 ? (costs, block) : null;
    }

    private static EndToEndTiming Time(PreparedGeneration generation, CompressionPlan? plan, CancellationToken cancellationToken)
    {
        using var output = generation.Run(plan, cancellationToken: cancellationToken);
        return new EndToEndTiming(output.Elapsed.TotalSeconds, output.AttentionFallbacks, output.ModuleTimes);
    }

    /// <summary>
    /// A plan's FLOPs fractions on the generation's shape (its cross-attention and a video's temporal attention, with the
    /// generation's <paramref name="temporal"/> methods, counted), else the plan's own; raw: the temporal plan's alone.
    /// </summary>
    private static FlopsFractions Fractions(CompressionPlan? plan, FlopsShape? shape, TemporalMethods? temporal) => plan switch
    {
        null when shape is not null && temporal is not null =>
            AttentionFlops.Evaluate(FullMethods(shape, temporal.Methods.Length), null, shape, WindowSpec.ForTokens(shape.Tokens), temporal),
        null => new FlopsFractions(1, 1, 1),
        _ when shape is not null => AttentionFlops.Evaluate(plan.Methods, plan.Blocks, shape, plan.Key.Window, temporal),
        _ => plan.Flops ?? throw new InvalidOperationException("The plan has no model shape and the generation gives none: its FLOPs are unknown."),
    };

    /// <summary>
    /// The blocks' time of <paramref name="plan"/> (null: all full) over the all-full model's under <paramref name="costs"/>, a video's
    /// temporal attention by the generation's <paramref name="temporal"/> methods.
    /// </summary>
    private static double BlockTime(PreparedGeneration generation, CompressionPlan? plan, (AttentionCosts Costs, BlockCosts Block) costs,
        TemporalMethods? temporal)
    {
        var shape = generation.AttentionShape!;
        return costs.Block.TimeFraction(plan?.Methods ?? FullMethods(shape, generation.Steps), plan?.Blocks, costs.Costs, shape.CfgBatch, temporal);
    }

    /// <summary>All-full spatial methods for <paramref name="steps"/> steps of <paramref name="shape"/>'s layers.</summary>
    private static AttentionMethod[][] FullMethods(FlopsShape shape, int steps) =>
        Enumerable.Range(0, steps).Select(_ => Enumerable.Repeat(AttentionMethod.Full, shape.Layers).ToArray()).ToArray();

    /// <summary>Each part's median over the rounds.</summary>
    private static ModuleTimes MedianTimes(IReadOnlyList<ModuleTimes> times)
    {
        TimeSpan Of(Func<ModuleTimes, TimeSpan> part) => TimeSpan.FromTicks((long)Median(times.Select(t => (double)part(t).Ticks)));
        return new(Of(t => t.Attention), Of(t => t.Blocks), Of(t => t.FeedForward), Of(t => t.CrossAttention));
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
