namespace FastAttn.Engine.Sampling;

/// <summary>The samplers by name: "ddim", "dpm" (aliases "dpm++", "dpmsolver"), "iddpm".</summary>
public static class SchedulerRegistry
{
    private static readonly Dictionary<string, Factory> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ddim"] = new Factory("ddim", (n, s) => new DdimScheduler(n, s.Schedule, s.ClipSample)),
        ["dpm"] = new Factory("dpm", Dpm),
        ["dpm++"] = new Factory("dpm", Dpm),
        ["dpmsolver"] = new Factory("dpm", Dpm),
        ["iddpm"] = new Factory("iddpm", (n, s) => new IddpmScheduler(n, s.Schedule, s.ClipSample)),
    };

    private static DpmSolverMultistepScheduler Dpm(int steps, SchedulerSettings settings) =>
        new(steps, new DpmSolverOptions { Schedule = settings.Schedule, ClipSample = settings.ClipSample });

    /// <summary>The canonical names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ddim", "dpm", "iddpm"];

    /// <summary>
    /// The factory for <paramref name="name"/> for a model trained with <paramref name="settings"/> (DiT's linear
    /// schedule without clipping by default); unknown names throw <see cref="NotSupportedException"/> listing the known ones.
    /// </summary>
    public static IDiffusionSchedulerFactory Get(string name, SchedulerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Factories.TryGetValue(name.Trim(), out var f)
            ? (settings is null || settings == SchedulerSettings.Default ? f : new Factory(f.Name, f.Make, settings))
            : throw new NotSupportedException($"Unknown scheduler '{name}'. Allowed: {string.Join(", ", Names)} (aliases: dpm++, dpmsolver).");
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 1 ≤ steps ≤ trainSteps.</summary>
    internal static void CheckSteps(int steps, int trainSteps)
    {
        if (steps < 1 || steps > trainSteps)
            throw new ArgumentOutOfRangeException(nameof(steps), $"Steps must be within 1..{trainSteps}; got {steps}.");
    }

    private sealed class Factory(string name, Func<int, SchedulerSettings, IDiffusionScheduler> create, SchedulerSettings? settings = null)
        : IDiffusionSchedulerFactory
    {
        public string Name => name;

        public Func<int, SchedulerSettings, IDiffusionScheduler> Make => create;

        public IDiffusionScheduler Create(int steps) => create(steps, settings ?? SchedulerSettings.Default);
    }
}
