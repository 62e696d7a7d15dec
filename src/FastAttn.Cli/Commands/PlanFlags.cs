using System.CommandLine;
using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary>
/// Which plan a generation runs with: a file (--plan), or the plan for a preset or threshold found by the Engine's
/// <see cref="PlanResolver"/> (the plan folder, then the model's shipped plans; searched now with --search) — one path
/// for every model family.
/// </summary>
internal sealed class PlanFlags(string presets)
{
    public Option<string?> Plan { get; } = new("--plan") { Description = "A DiTFastAttn plan file (from fastattn search)." };
    public Option<string?> Preset { get; } = new("--preset") { Description =
        $"Quality preset {presets} (or raw): uses the cached plan for these settings." };
    public Option<double?> Threshold { get; } = new("--threshold") { Description = "Custom threshold δ: uses the cached plan for it." };
    public Option<bool> Search { get; } = new("--search") { Description = "With --preset/--threshold: search the plan now when none is cached." };

    public IEnumerable<Option> All => [Plan, Preset, Threshold, Search];

    /// <summary><paramref name="request"/> with the plan file, preset or threshold of the flags.</summary>
    public GenerationRequest Apply(ParseResult parse, GenerationRequest request) =>
        With(request, parse.GetValue(Plan), parse.GetValue(Preset), parse.GetValue(Threshold));

    /// <summary><paramref name="request"/> with a plan file, or a preset or threshold (checked).</summary>
    public static GenerationRequest With(GenerationRequest request, string? planFile, string? preset, double? threshold)
    {
        if (planFile is not null)
        {
            if (preset is not null || threshold is not null) throw new ArgumentException("Give --plan, or --preset/--threshold, not both.");
            return request with { Plan = PlanSerializer.Load(planFile), Preset = null, Threshold = null };
        }
        if (preset is null && threshold is null) return request with { Plan = null, Preset = null, Threshold = null };
        return request with { Plan = null, Preset = threshold is null ? preset : null, Threshold = SearchCommand.Delta(preset, threshold) };
    }

    /// <summary>
    /// The plan for <paramref name="generation"/> (null: full attention). A preset without a plan, and without
    /// <paramref name="search"/>, is a clear error; a search runs behind a progress bar and is saved to the plan folder.
    /// </summary>
    public static async Task<ResolvedPlan?> ResolveAsync(PlanResolver resolver, IGenerativeModel model, PreparedGeneration generation, bool search,
        PlanSearchSettings? settings, string folder, CancellationToken cancellationToken)
    {
        var request = generation.Request;
        if (request.Plan is null && request.Delta <= 0) return null;
        var resolved = request.Plan is not null || !search
            ? await resolver.ResolveAsync(model, generation, search, settings, cancellationToken: cancellationToken)
            : await ConsoleProgress.RunSearchAsync("searching the plan", generation.Steps,
                progress => resolver.ResolveAsync(model, generation, true, settings, progress, cancellationToken).GetAwaiter().GetResult(),
                    cancellationToken);
        if (resolved?.Warning is string warning) AnsiConsole.MarkupLine($"[yellow]Warning:[/] {Markup.Escape(warning)}");
        return resolved ?? throw new InvalidOperationException(
            $"No cached plan for δ = {request.Delta.ToString("0.####", CultureInfo.InvariantCulture)} with these settings in {folder}. " +
            "Run `fastattn search` with the same model and settings, or add --search to search it now.");
    }

    /// <summary>The plan in words for the console: its file and FLOPs, or full attention.</summary>
    public static string Describe(ResolvedPlan? plan, string? planFile, string attention = "attention")
    {
        if (plan is null) return "full (uncompressed)";
        string source = Markup.Escape(plan.Source == PlanSource.Request && planFile is not null ? Path.GetFullPath(planFile) : plan.Describe());
        return plan.Plan.Flops is FlopsFractions f
            ? $"DiTFastAttn plan {source}, {attention} FLOPs {f.ModuleFraction:P1} of full (QKᵀ/AV {f.KernelFraction:P1})"
            : $"DiTFastAttn plan {source}";
    }
}
