using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Benchmarks;

/// <summary>A preset's plan for an end-to-end benchmark, with where it came from in words.</summary>
/// <param name="Case">The preset and its plan.</param>
/// <param name="Source">"shipped δ=0.05", "cached …", "searched now …", "resampled …" (null for raw).</param>
/// <param name="Note">The plan's file or origin, for the report's provenance (null for raw).</param>
public sealed record EndToEndPlan(EndToEndCase Case, string? Source, string? Note);

/// <summary>
/// The plans an end-to-end benchmark times, for any model family: a real model's own plans (through a
/// <see cref="PlanResolver"/>: the user's folder, the shipped plans, or a search), or a built-in model's searched plans
/// resampled onto a random-weight model's steps × layers.
/// </summary>
public static class EndToEndPlans
{
    /// <summary>
    /// Each preset's plan for <paramref name="request"/> on <paramref name="model"/>; a missing plan is an error unless
    /// <paramref name="search"/> (then it is searched and saved).
    /// </summary>
    public static async Task<IReadOnlyList<EndToEndPlan>> ResolveAsync(IGenerativeModel model, GenerationRequest request, IEnumerable<string> presets,
        PlanResolver resolver, bool search, PlanSearchSettings? settings = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(presets);
        ArgumentNullException.ThrowIfNull(resolver);
        var plans = new List<EndToEndPlan>();
        foreach (var name in presets)
        {
            double delta = CompressionPresets.Threshold(name);
            if (delta == 0) { plans.Add(new(new(name, null), null, null)); continue; }
            var generation = model.Prepare(request with { Preset = name, Threshold = null, Plan = null });
            var resolved = await resolver.ResolveAsync(model, generation, search, settings, cancellationToken:
                cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"No {name} plan for {model.Source} at {generation.Steps} {generation.Scheduler} steps, " +
                    $"guidance {generation.GuidanceScale.ToString(CultureInfo.InvariantCulture)}: run `fastattn search` first, or pass --search.");
            var plan = resolved.Plan;
            string origin = resolved.Source switch
            {
                PlanSource.Searched => "searched now",
                PlanSource.Shared => "shared",
                _ when resolved.Path is string p && model.PlanFolders.Any(f => Path.GetFullPath(p).StartsWith(Path.GetFullPath(f),
                    StringComparison.Ordinal)) => "shipped",
                _ => "cached",
            };
            string note = (resolved.Source == PlanSource.Searched && plan.Search is PlanSearchReport report
                ? $"{name}: searched in this run ({plan.Key.Calibration}, {Order(plan.Key)}, {report.ForwardEquivalents:F0} forward-equivalents, " +
                    $"{report.Seconds:F1} s)"
                : $"{name}: {resolved.Path} ({plan.Key.Calibration}, {Order(plan.Key)})") + (resolved.Warning is string w ? $"; warning: {w}" : "");
            plans.Add(new(new(name, plan), $"{origin} δ={Delta(delta)}", note));
        }
        return plans;
    }

    /// <summary>
    /// Each preset's plan for <paramref name="generation"/>: the searched plan of built-in model <paramref name="planFrom"/>
    /// at the same δ, resampled onto the generation's steps × layers (keyed to the generation; raw: none).
    /// </summary>
    public static IReadOnlyList<EndToEndPlan> Resample(PreparedGeneration generation, IEnumerable<string> presets, string planFrom)
    {
        ArgumentNullException.ThrowIfNull(generation);
        ArgumentNullException.ThrowIfNull(presets);
        ArgumentNullException.ThrowIfNull(planFrom);
        var folder = BuiltInModels.TryResolve(planFrom) is string weights ? BuiltInModels.PlansOf(Path.GetDirectoryName(weights)!) : null;
        if (folder is null)
            throw new ArgumentException($"--plan-from '{planFrom}' is not a built-in model with plans. Built-in: " +
                $"{string.Join(", ", BuiltInModels.Names)}.",
                nameof(planFrom));
        var shipped = Directory.GetFiles(folder, "*.json").Select(PlanSerializer.Load).ToList();
        var shape = generation.AttentionShape
            ?? throw new InvalidOperationException("The model gives no attention shape: its plans cannot be resampled.");
        var plans = new List<EndToEndPlan>();
        foreach (var name in presets)
        {
            double delta = CompressionPresets.Threshold(name);
            if (delta == 0) { plans.Add(new(new(name, null), null, null)); continue; }
            var scope = CompressionPresets.ScopeOf(name) ?? SearchScope.Attention;
            var metric = CompressionPresets.MetricOf(name);
            var from = shipped.Where(p => p.Key.Threshold == delta && p.Key.SearchScope == scope && (metric is null || p.Key.Metric == metric))
                    .OrderBy(p => p.Key.BlockForecast ? 0 : 1)                                  // latency-aware, forecasting plans first
                    .ThenBy(p => p.Key.CandidateOrder == CandidateOrder.Measured ? 0 : 1).FirstOrDefault()
                ?? throw new InvalidOperationException($"{planFrom} ships no {name} plan to resample.");
            var key = generation.PlanKey(delta) with { Calibration = $"resampled:{planFrom}/{name}" };
            var plan = PlanResampler.Resample(from, key, shape.Layers, new PlanModelShape(shape.Tokens, shape.Hidden) { Heads = shape.Heads });
            plans.Add(new(new(name, plan), $"resampled δ={Delta(delta)}",
                $"{name}: {planFrom}'s searched {name} plan ({from.Methods.Length} steps × {from.Layers} layers, {Order(from.Key)}) " +
                    $"resampled to {generation.Steps} × {shape.Layers}"));
        }
        return plans;
    }

    /// <summary>"measured order (cpu)" or "reference order".</summary>
    private static string Order(PlanKey key) =>
        key.CandidateOrder == CandidateOrder.Measured ? $"measured order ({key.DeviceKind})"
            : $"{key.CandidateOrder.ToString().ToLowerInvariant()} order";

    private static string Delta(double delta) => delta.ToString("0.####", CultureInfo.InvariantCulture);
}
