namespace FastAttn.Engine.Sampling;

/// <summary>The samplers by name: "ddim", "dpm" (aliases "dpm++", "dpmsolver"), "iddpm".</summary>
public static class SchedulerRegistry
{
    private static readonly Dictionary<string, IDiffusionSchedulerFactory> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ddim"] = new Factory("ddim", s => new DdimScheduler(s)),
        ["dpm"] = new Factory("dpm", s => new DpmSolverMultistepScheduler(s)),
        ["dpm++"] = new Factory("dpm", s => new DpmSolverMultistepScheduler(s)),
        ["dpmsolver"] = new Factory("dpm", s => new DpmSolverMultistepScheduler(s)),
        ["iddpm"] = new Factory("iddpm", s => new IddpmScheduler(s)),
    };

    /// <summary>The canonical names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ddim", "dpm", "iddpm"];

    /// <summary>The factory for <paramref name="name"/>; unknown names throw <see cref="NotSupportedException"/> listing the known ones.</summary>
    public static IDiffusionSchedulerFactory Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Factories.TryGetValue(name.Trim(), out var f) ? f
            : throw new NotSupportedException($"Unknown scheduler '{name}'. Allowed: {string.Join(", ", Names)} (aliases: dpm++, dpmsolver).");
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 1 ≤ steps ≤ trainSteps.</summary>
    internal static void CheckSteps(int steps, int trainSteps)
    {
        if (steps < 1 || steps > trainSteps)
            throw new ArgumentOutOfRangeException(nameof(steps), $"Steps must be within 1..{trainSteps}; got {steps}.");
    }

    private sealed class Factory(string name, Func<int, IDiffusionScheduler> create) : IDiffusionSchedulerFactory
    {
        public string Name => name;

        public IDiffusionScheduler Create(int steps) => create(steps);
    }
}
