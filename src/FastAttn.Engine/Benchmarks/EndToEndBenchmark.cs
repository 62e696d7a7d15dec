using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Benchmarks;

/// <summary>One configuration of an end-to-end benchmark: a preset name and its plan (null = raw, full attention).</summary>
/// <param name="Preset">raw, D1..D6 or any label.</param>
/// <param name="Plan">The plan, or null for the uncompressed model.</param>
public sealed record EndToEndCase(string Preset, CompressionPlan? Plan);

/// <summary>One timed generation: whole wall time, time in the compressed attention, fallbacks.</summary>
/// <param name="Seconds">Wall time of the whole generation.</param>
/// <param name="AttentionSeconds">Time in the self-attention modules the plans compress (null when not timed).</param>
/// <param name="Fallbacks">Entries that fell back to full attention.</param>
public sealed record EndToEndTiming(double Seconds, double? AttentionSeconds, int Fallbacks);

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
/// <param name="TransformerFlopsFraction">Whole-transformer FLOPs fraction.</param>
/// <param name="PredictedFraction">What FLOPs alone predict end to end: 1 − share·(1 − module fraction).</param>
/// <param name="Fallbacks">(step, layer) entries that fell back to full attention (0 for a sound plan).</param>
public sealed record EndToEndRow(string Preset, double MedianSeconds, double SpreadSeconds, double LatencyFraction, double AttentionSeconds,
    double AttentionLatencyFraction, double AttentionShare, double FlopsFraction, double KernelFlopsFraction, double TransformerFlopsFraction,
    double PredictedFraction, int Fallbacks)
{
    /// <summary>Measured saving over predicted saving, (1 − measured) / (1 − predicted); 1 = FLOPs fully turned into time (raw: 1).</summary>
    public double SavingRatio => PredictedFraction < 1 ? (1 - LatencyFraction) / (1 - PredictedFraction) : 1;
}

/// <summary>
/// Times whole generations per preset against raw, interleaved (every preset once per round, raw first) so machine noise
/// hits all alike, with the self-attention modules timed inside the same runs to give raw's attention share.
/// </summary>
public static class EndToEndBenchmark
{
    /// <summary>Runs the benchmark on a DiT. A raw case is added first when <paramref name="cases"/> has none.</summary>
    /// <param name="pipeline">The pipeline.</param>
    /// <param name="request">The generation to time (labels, seeds, steps, sampler, guidance, size); its plan is replaced per case.</param>
    /// <param name="cases">The presets.</param>
    /// <param name="repetitions">Timed rounds (after one untimed warm-up round).</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="cancellationToken">Checked between generations and steps.</param>
    public static IReadOnlyList<EndToEndRow> Run(DiTPipeline pipeline, DiTGenerationRequest request, IReadOnlyList<EndToEndCase> cases, int repetitions,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        var config = pipeline.Transformer.Config;
        int size = request.Size ?? config.InputSize;
        var shape = new FlopsShape((size / config.PatchSize) * (size / config.PatchSize), config.HiddenSize, config.Depth, request.GuidanceScale > 1);
        return Run((plan, ct) => Timing(pipeline.Generate(request with { Plan = plan, TimeAttention = true }, cancellationToken: ct)), shape, cases, repetitions,
            progress, cancellationToken);
    }

    /// <summary>Runs the benchmark on a PixArt pipeline (its cross-attention counted in the whole-transformer FLOPs).</summary>
    /// <param name="pipeline">The pipeline.</param>
    /// <param name="request">The generation to time (prompts or embeddings, seeds, steps, sampler, guidance, size); its plan is replaced per case.</param>
    /// <param name="cases">The presets.</param>
    /// <param name="repetitions">Timed rounds (after one untimed warm-up round).</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="cancellationToken">Checked between generations and steps.</param>
    public static IReadOnlyList<EndToEndRow> Run(PixArtPipeline pipeline, PixArtGenerationRequest request, IReadOnlyList<EndToEndCase> cases, int repetitions,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        var config = pipeline.Transformer.Config;
        var (rows, cols) = pipeline.LatentSizeFor(request);
        int captionTokens = request.PromptEmbeddings is CaptionEmbeddings e ? (int)e.Features.shape[1] : request.MaxTokens;
        var shape = new FlopsShape(rows / config.PatchSize * (cols / config.PatchSize), config.HiddenSize, config.NumLayers, request.GuidanceScale > 1,
            CaptionTokens: captionTokens);
        return Run((plan, ct) => Timing(pipeline.Generate(request with { Plan = plan, TimeAttention = true }, cancellationToken: ct)), shape, cases, repetitions,
            progress, cancellationToken);
    }

    /// <summary>
    /// Runs the benchmark on an Open-Sora pipeline: the plans compress the spatial self-attention; FLOPs fractions are of
    /// that module (one frame's tokens per attention call).
    /// </summary>
    /// <param name="pipeline">The pipeline.</param>
    /// <param name="request">The clip to time (prompts or embeddings, frames, size, steps, guidance); its plan is replaced per case.</param>
    /// <param name="cases">The presets.</param>
    /// <param name="repetitions">Timed rounds (after one untimed warm-up round).</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="cancellationToken">Checked between generations and steps.</param>
    public static IReadOnlyList<EndToEndRow> Run(OpenSoraPipeline pipeline, VideoGenerationRequest request, IReadOnlyList<EndToEndCase> cases, int repetitions,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        var config = pipeline.Transformer.Config;
        var shape = new FlopsShape(pipeline.TokensPerCall(request), config.HiddenSize, config.Depth, request.GuidanceScale > 1, CaptionTokens: config.ModelMaxLength);
        return Run((plan, ct) =>
        {
            using var result = pipeline.Generate(request with { Plan = plan, TimeAttention = true }, cancellationToken: ct);
            return new EndToEndTiming(result.Elapsed.TotalSeconds, result.AttentionTime?.TotalSeconds, result.AttentionFallbacks);
        }, shape, cases, repetitions, progress, cancellationToken);
    }

    private static EndToEndTiming Timing(ImageGenerationResult result)
    {
        using (result) return new EndToEndTiming(result.Elapsed.TotalSeconds, result.AttentionTime?.TotalSeconds, result.AttentionFallbacks);
    }

    /// <summary>
    /// The measurement: every case once per round (raw first), one untimed warm-up round, medians of per-round ratios.
    /// <paramref name="generate"/> runs one whole generation with a plan (null = raw) and attention timing.
    /// </summary>
    public static IReadOnlyList<EndToEndRow> Run(Func<CompressionPlan?, CancellationToken, EndToEndTiming> generate, FlopsShape shape,
        IReadOnlyList<EndToEndCase> cases, int repetitions, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generate);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(cases);
        if (repetitions < 1) throw new ArgumentOutOfRangeException(nameof(repetitions), "At least one repetition is required.");
        var all = cases.Any(c => c.Plan is null) ? cases.OrderBy(c => c.Plan is null ? 0 : 1).ToList() : [new EndToEndCase("raw", null), .. cases];

        var total = all.Select(_ => new List<double>()).ToArray();
        var attention = all.Select(_ => new List<double>()).ToArray();
        var fallbacks = new int[all.Count];
        for (int round = -1; round < repetitions; round++)
        {
            for (int c = 0; c < all.Count; c++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = generate(all[c].Plan, cancellationToken);
                fallbacks[c] = result.Fallbacks;
                if (round < 0) continue;                                                     // warm-up
                total[c].Add(result.Seconds);
                attention[c].Add(result.AttentionSeconds
                    ?? throw new InvalidOperationException("The generation did not time its attention (TimeAttention)."));
            }
            progress?.Report(round < 0 ? "warm-up round done" : $"round {round + 1}/{repetitions} done");
        }

        double share = Median(total[0].Select((t, r) => attention[0][r] / t));
        return all.Select((c, i) =>
        {
            var flops = c.Plan is CompressionPlan plan ? AttentionFlops.Evaluate(plan.Methods, shape, plan.Key.Window) : new FlopsFractions(1, 1, 1);
            return new EndToEndRow(c.Preset, Median(total[i]), total[i].Max() - total[i].Min(),
                Median(total[i].Select((t, r) => t / total[0][r])), Median(attention[i]),
                Median(attention[i].Select((t, r) => t / attention[0][r])), share,
                flops.ModuleFraction, flops.KernelFraction, flops.TransformerFraction, 1 - share * (1 - flops.ModuleFraction), fallbacks[i]);
        }).ToList();
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
