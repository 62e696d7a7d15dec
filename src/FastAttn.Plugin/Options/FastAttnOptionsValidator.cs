using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Runtime;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Options;

namespace FastAttn.Plugin.Options;

/// <summary>
/// Validates <see cref="FastAttnOptions"/> at start, every failure naming its configuration key (e.g.
/// <c>FastAttn:Models:digits:Steps</c>). Whether a model's files exist is checked when it is first loaded, so that
/// one missing model does not stop the host from serving the others. A model's <c>Kind</c> must name a family of the
/// <see cref="ModelFamilyRegistry"/> (or be <c>auto</c>).
/// </summary>
/// <param name="families">The model families (default <see cref="ModelFamilyRegistry.Default"/>).</param>
public sealed class FastAttnOptionsValidator(ModelFamilyRegistry families) : IValidateOptions<FastAttnOptions>
{
    private const string S = FastAttnOptions.SectionName;

    /// <summary>A validator for the built-in families.</summary>
    public FastAttnOptionsValidator() : this(ModelFamilyRegistry.Default) { }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FastAttnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        void Check(bool ok, string message) { if (!ok) errors.Add(message); }

        Check(options.QueueLength >= 1, $"{S}:QueueLength must be at least 1 (got {options.QueueLength}).");
        Check(options.Concurrency >= 1, $"{S}:Concurrency must be at least 1 (got {options.Concurrency}).");
        Check(options.MaxBatch >= 1, $"{S}:MaxBatch must be at least 1 (got {options.MaxBatch}; 1 turns batching off).");
        Check(options.BatchWindow >= TimeSpan.Zero, $"{S}:BatchWindow must not be negative (got {options.BatchWindow}).");
        Check(options.NativeTrimInterval is not { } trim || trim > TimeSpan.Zero,
            $"{S}:NativeTrimInterval must be positive or unset (got {options.NativeTrimInterval}).");
        Check(options.MaxBatchBytes >= 0, $"{S}:MaxBatchBytes must not be negative (got {options.MaxBatchBytes}).");
        if (options.Threshold is double t) Check(t >= 0 && !double.IsNaN(t),
            $"{S}:Threshold must be ≥ 0 (got {t.ToString(CultureInfo.InvariantCulture)}).");
        else Check(IsPreset(options.Preset),
            $"{S}:Preset must be raw or one of {string.Join(", ", CompressionPresets.Names.Concat(CompressionPresets.BlockNames))} (got " +
                $"'{options.Preset}').");
        Check(IsPreset(options.VideoPreset),
            $"{S}:VideoPreset must be raw or one of {string.Join(", ", CompressionPresets.VideoNames.Concat(CompressionPresets.Names))} (got " +
                $"'{options.VideoPreset}').");
        if (options.DefaultVideoModel is string video)
            Check(options.Models.ContainsKey(video), $"{S}:DefaultVideoModel '{video}' is not configured under {S}:Models.");
        try { DeviceSelector.Parse(options.Device); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException) { errors.Add($"{S}:Device: {e.Message}"); }
        Check(!string.IsNullOrWhiteSpace(options.DefaultModel), $"{S}:DefaultModel must name a model.");
        if (!string.IsNullOrWhiteSpace(options.DefaultModel))
            Check(options.Models.ContainsKey(options.DefaultModel) || BuiltInModels.Names.Contains(options.DefaultModel,
                StringComparer.OrdinalIgnoreCase),
                $"{S}:DefaultModel '{options.DefaultModel}' is neither configured under {S}:Models nor a built-in model " +
                    $"({string.Join(", ", BuiltInModels.Names)}).");

        foreach (var (model, m) in options.Models)
        {
            var key = $"{S}:Models:{model}";
            if (m is null) { errors.Add($"{key} is empty."); continue; }
            Check(!string.IsNullOrWhiteSpace(m.Path), $"{key}:Path must be set (a checkpoint file or folder, or a built-in model's name).");
            var kinds = families.Families.Select(f => f.Name).Prepend("auto").ToArray();
            Check(m.Kind is not null && kinds.Contains(m.Kind.Trim(), StringComparer.OrdinalIgnoreCase),
                $"{key}:Kind '{m.Kind}' is not supported (supported: {string.Join(", ", kinds)}).");
            Check(m.EncoderDType?.Trim().ToLowerInvariant() is "bf16" or "fp32",
                $"{key}:EncoderDType '{m.EncoderDType}' is not supported (supported: bf16, fp32).");
            if (m.Steps is int steps) Check(steps is >= 1 and <= 1000, $"{key}:Steps must be within 1..1000 (got {steps}).");
            if (m.GuidanceScale is double g) Check(g >= 1 && g <= options.Limits.MaxGuidanceScale,
                $"{key}:GuidanceScale must be within 1..{options.Limits.MaxGuidanceScale} (got {g}).");
            if (m.Scheduler is string sch)
            {
                try { SchedulerRegistry.Get(sch); }
                catch (NotSupportedException e) { errors.Add($"{key}:Scheduler: {e.Message}"); }
            }
            foreach (var r in m.Resolutions) Check(r > 0 && r <= options.Limits.MaxSize,
                $"{key}:Resolutions has {r}; sizes must be within 1..{options.Limits.MaxSize}.");
        }

        var l = options.Limits;
        Check(l.MaxSteps is >= 1 and <= 1000, $"{S}:Limits:MaxSteps must be within 1..1000, the samplers' limit (got {l.MaxSteps}).");
        Check(options.Threads is null or >= 1, $"{S}:Threads must be at least 1 (got {options.Threads}).");
        Check(l.MaxImages >= 1, $"{S}:Limits:MaxImages must be at least 1 (got {l.MaxImages}).");
        Check(l.MaxFrames >= 1, $"{S}:Limits:MaxFrames must be at least 1 (got {l.MaxFrames}).");
        Check(l.MaxSize >= 8, $"{S}:Limits:MaxSize must be at least 8 (got {l.MaxSize}).");
        Check(l.MaxPromptLength >= 1, $"{S}:Limits:MaxPromptLength must be at least 1 (got {l.MaxPromptLength}).");
        Check(l.MaxGuidanceScale >= 1, $"{S}:Limits:MaxGuidanceScale must be at least 1 (got {l.MaxGuidanceScale}).");
        Check(options.Retention.MaxFiles >= 0, $"{S}:Retention:MaxFiles must be ≥ 0 (got {options.Retention.MaxFiles}).");
        if (options.Retention.MaxAge is TimeSpan age) Check(age > TimeSpan.Zero, $"{S}:Retention:MaxAge must be positive (got {age}).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Whether <paramref name="preset"/> is raw, D1..D6, B1..B6 or V1..V5 (any case).</summary>
    public static bool IsPreset(string? preset) => CompressionPresets.IsPreset(preset);
}
