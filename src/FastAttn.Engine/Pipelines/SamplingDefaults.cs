using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Pipelines;

/// <summary>A model's default sampling settings (from <c>defaults.json</c> beside its weights; else DDIM 50, guidance 4).</summary>
/// <param name="Steps">Denoising steps.</param>
/// <param name="Scheduler">Sampler name.</param>
/// <param name="GuidanceScale">Guidance scale.</param>
public sealed record SamplingDefaults(int Steps = 50, string Scheduler = "ddim", double GuidanceScale = 4.0)
{
    /// <summary>The noise schedule the model was trained with ("betaSchedule"; linear unless stated).</summary>
    public NoiseSchedule Schedule { get; init; } = NoiseSchedule.Linear;

    /// <summary>Whether samplers clip each predicted x₀ to [−1, 1] ("clipSample"; for pixel-space models).</summary>
    public bool ClipSample { get; init; }

    /// <summary>
    /// What the model's plans are searched on ("searchMetric": "raw", the reference's, unless stated; "guided" for models
    /// sampled at high guidance, see <see cref="Compression.SearchMetric.GuidedOutput"/>; "ssim", see
    /// <see cref="Compression.SearchMetric.Ssim"/>).
    /// </summary>
    public Compression.SearchMetric SearchMetric { get; init; } = Compression.SearchMetric.RawOutput;

    /// <summary>Parses a search metric name: raw, guided or ssim; any other throws <see cref="Compression.UnknownSearchMetricException"/>.</summary>
    public static Compression.SearchMetric ParseMetric(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "raw" => Compression.SearchMetric.RawOutput,
        "guided" => Compression.SearchMetric.GuidedOutput,
        "ssim" => Compression.SearchMetric.Ssim,
        _ => throw new Compression.UnknownSearchMetricException(name),
    };

    /// <summary>The name of a search metric, as <see cref="ParseMetric"/> reads it.</summary>
    public static string MetricName(Compression.SearchMetric metric) => metric switch
    {
        Compression.SearchMetric.GuidedOutput => "guided",
        Compression.SearchMetric.Ssim => "ssim",
        _ => "raw",
    };

    /// <summary>The sampler <paramref name="name"/> (or <see cref="Scheduler"/>) set up with this model's schedule and clipping.</summary>
    public IDiffusionSchedulerFactory CreateScheduler(string? name = null) =>
        SchedulerRegistry.Get(name ?? Scheduler, new SchedulerSettings(Schedule, ClipSample));

    /// <summary>The file name.</summary>
    public const string FileName = "defaults.json";

    /// <summary>Reads <paramref name="folder"/>/defaults.json, or the general defaults when there is none.</summary>
    public static SamplingDefaults ReadFrom(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return new SamplingDefaults();
        try
        {
            var o = ConfigJson.Parse(File.ReadAllText(path), path);
            var defaults = new SamplingDefaults(o["steps"]?.GetValue<int>() ?? 50, o["scheduler"]?.GetValue<string>() ?? "ddim",
                o["guidanceScale"]?.GetValue<double>() ?? 4.0)
            {
                Schedule = o["betaSchedule"] is JsonNode b ? NoiseSchedule.FromName(b.GetValue<string>()) : NoiseSchedule.Linear,
                ClipSample = o["clipSample"]?.GetValue<bool>() ?? false,
                SearchMetric = o["searchMetric"] is JsonNode m ? ParseMetric(m.GetValue<string>()) : Compression.SearchMetric.RawOutput,
            };
            if (defaults.Steps is < 1 or > 10_000 || !double.IsFinite(defaults.GuidanceScale))
                throw new CheckpointFormatException(path, $"steps {defaults.Steps} or guidanceScale {defaults.GuidanceScale} is out of range.");
            defaults.CreateScheduler();                                                      // an unknown scheduler name is refused here
            return defaults;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException or FormatException
            or ArgumentException)
        {
            throw new CheckpointFormatException(path, $"invalid sampling defaults ({e.Message}).", e);
        }
    }

    /// <summary>The JSON form.</summary>
    public string ToJson() => new JsonObject
    {
        ["steps"] = Steps, ["scheduler"] = Scheduler, ["guidanceScale"] = GuidanceScale,
        ["betaSchedule"] = Schedule.Name, ["clipSample"] = ClipSample, ["searchMetric"] = MetricName(SearchMetric),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
