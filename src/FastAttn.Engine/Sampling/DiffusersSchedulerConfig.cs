using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;

namespace FastAttn.Engine.Sampling;

/// <summary>
/// Reads a diffusers <c>scheduler/scheduler_config.json</c> into a sampler, rather than assuming one: the
/// <c>DPMSolverMultistepScheduler</c> (PixArt's) with its betas, order, final-step and final-σ settings, or a
/// <c>DDIMScheduler</c>. Settings this engine does not implement are refused by name, never silently ignored.
/// </summary>
public static class DiffusersSchedulerConfig
{
    /// <summary>The sampler the config at <paramref name="path"/> describes.</summary>
    public static IDiffusionSchedulerFactory Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new CheckpointFormatException(path, "no scheduler config there.");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the JSON text of a scheduler config (<paramref name="source"/> names it in errors).</summary>
    public static IDiffusionSchedulerFactory Parse(string json, string source)
    {
        try
        {
            return ParseObject(ConfigJson.Parse(json, source), source);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NotSupportedException or ArgumentException)
        {
            throw new CheckpointFormatException(source, $"is not a valid scheduler config ({e.Message}).", e);
        }
    }

    private static IDiffusionSchedulerFactory ParseObject(JsonObject o, string source)
    {
        string Str(string key, string fallback) => o[key]?.GetValue<string>() ?? fallback;
        void Require(string key, string expected, string fallback)
        {
            var value = Str(key, fallback);
            if (!string.Equals(value, expected, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointFormatException(source, $"sets {key} = '{value}'; only '{expected}' is supported.");
        }
        var schedule = Schedule(o, source, new NoiseSchedule(o["beta_start"]?.GetValue<double>() ?? 1e-4, o["beta_end"]?.GetValue<double>() ?? 0.02,
            o["num_train_timesteps"]?.GetValue<int>() ?? 1000, NoiseSchedule.FromName(Str("beta_schedule", "linear")).Kind));
        Require("prediction_type", "epsilon", "epsilon");
        if (o["trained_betas"] is JsonArray)
            throw new CheckpointFormatException(source, "sets trained_betas; only named beta schedules are supported.");
        switch (Str("_class_name", ""))
        {
            case "DPMSolverMultistepScheduler":
                Require("algorithm_type", "dpmsolver++", "dpmsolver++");
                Require("solver_type", "midpoint", "midpoint");
                Require("timestep_spacing", "linspace", "linspace");
                if (o["use_karras_sigmas"]?.GetValue<bool>() == true)
                    throw new CheckpointFormatException(source, "uses Karras sigmas, which are not supported.");
                int order = o["solver_order"]?.GetValue<int>() ?? 2;
                if (order is not (1 or 2)) throw new CheckpointFormatException(source, $"sets solver_order = {order}; 1 or 2 are supported.");
                var options = new DpmSolverOptions
                {
                    Schedule = schedule,
                    SolverOrder = order,
                    LowerOrderFinal = o["lower_order_final"]?.GetValue<bool>() ?? true,
                    FinalSigmaZero = Str("final_sigmas_type", "zero") == "zero",
                    ClipSample = o["thresholding"]?.GetValue<bool>() == true
                        ? throw new CheckpointFormatException(source, "uses dynamic thresholding, which is not supported.")
                        : false,
                };
                return new ConfiguredFactory("dpm", steps => new DpmSolverMultistepScheduler(steps, options));
            case "DDIMScheduler":
                return SchedulerRegistry.Get("ddim", new SchedulerSettings(schedule, o["clip_sample"]?.GetValue<bool>() ?? false));
            case var other:
                throw new CheckpointFormatException(source, $"describes '{other}'; supported: DPMSolverMultistepScheduler, DDIMScheduler.");
        }
    }

    private static NoiseSchedule Schedule(JsonObject o, string source, NoiseSchedule s)
    {
        if (s.TrainSteps is < 1 or > 100_000)
            throw new CheckpointFormatException(source, $"num_train_timesteps {s.TrainSteps} is outside 1..100000.");
        if (!(s.BetaStart > 0 && s.BetaStart <= s.BetaEnd && s.BetaEnd < 1))
            throw new CheckpointFormatException(source, $"betas {s.BetaStart}..{s.BetaEnd} are not 0 < start ≤ end < 1.");
        return s;
    }

    private sealed class ConfiguredFactory(string name, Func<int, IDiffusionScheduler> create) : IDiffusionSchedulerFactory
    {
        public string Name => name;

        public IDiffusionScheduler Create(int steps) => create(steps);
    }
}
