using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Models.OpenSora;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Everything a compression plan depends on besides its methods: the model (fingerprint), latent shape, step count,
/// scheduler, guidance scale, window, threshold δ, calibration set and the search settings that change a plan (metric,
/// video target, candidate order, search scope). Its <see cref="FileName"/> names the plan in a plan directory, so that
/// any preset or custom δ is found again, and a plan searched one way is never found for another.
/// </summary>
/// <param name="ModelFingerprint">SHA-256 over the model's state-dict names, shapes and values.</param>
/// <param name="LatentHeight">Height of the latent (or pixel) input; its side when square.</param>
/// <param name="Steps">Denoising steps.</param>
/// <param name="Scheduler">Sampler name.</param>
/// <param name="GuidanceScale">Classifier-free guidance scale.</param>
/// <param name="Window">Window semantics and size.</param>
/// <param name="Threshold">The search threshold δ.</param>
/// <param name="Calibration">Description of the calibration inputs (e.g. "labels:random8,seed:3").</param>
/// <param name="LatentWidth">Width of a non-square latent (text-to-image aspect-ratio buckets); null when square.</param>
/// <param name="LatentFrames">Latent frames of a video model; null for images.</param>
public sealed record PlanKey(string ModelFingerprint, int LatentHeight, int Steps, string Scheduler, double GuidanceScale,
    WindowSpec Window, double Threshold, string Calibration, int? LatentWidth = null, int? LatentFrames = null)
{
    /// <summary>Width of a non-square latent, or null when square (a width equal to <see cref="LatentHeight"/> is stored as null).</summary>
    public int? LatentWidth { get; init; } = LatentWidth is int w && w != LatentHeight ? w : null;

    /// <summary>The latent height (the side of a square latent).</summary>
    [Obsolete("Use LatentHeight")]
    public int LatentSize => LatentHeight;

    /// <summary>Latent width: <see cref="LatentWidth"/>, or <see cref="LatentHeight"/> when square.</summary>
    public int Width => LatentWidth ?? LatentHeight;

    /// <summary>What the search compared candidates on (<see cref="SearchMetric.RawOutput"/> for every unguided MRAE search).</summary>
    public SearchMetric Metric { get; init; } = SearchMetric.RawOutput;

    /// <summary>Video models: which self-attention the plan compresses (spatial for images).</summary>
    public VideoAttention Target { get; init; } = VideoAttention.Spatial;

    /// <summary>The order the search tried candidates in.</summary>
    public CandidateOrder CandidateOrder { get; init; } = CandidateOrder.Reference;

    /// <summary>What one decision of the search covered.</summary>
    public SearchScope SearchScope { get; init; } = SearchScope.Attention;

    /// <summary>
    /// Whether a block-scope search could forecast skipped blocks (<see cref="BlockMethod.Forecast"/>) besides reusing them;
    /// false for the attention scope and for block-scope plans of format version 4, which had no forecast.
    /// </summary>
    public bool BlockForecast { get; init; }

    /// <summary>
    /// The kind of device ("cpu", "cuda") a measured-order plan was searched for — the costs it was ordered by; null for
    /// reference-order plans, which do not depend on the device. Thread count and processor model are not part of the key.
    /// </summary>
    public string? DeviceKind
    {
        get;
        init => field = value is null ? null : value.Trim().ToLowerInvariant() is { Length: > 0 } kind ? kind
            : throw new ArgumentException("A plan key's device kind must not be empty (use null for none).", nameof(value));
    }

    /// <summary>
    /// The same key searched on the other device kind (cpu ↔ cuda), looked for when this one is missing; null when the key
    /// has no device kind or another.
    /// </summary>
    public PlanKey? OnOtherDevice => DeviceKind switch
    {
        "cpu" => this with { DeviceKind = "cuda" },
        "cuda" => this with { DeviceKind = "cpu" },
        _ => null,
    };

    /// <summary>Whether the plan is for a video model (it has latent frames).</summary>
    public bool IsVideo => LatentFrames is not null;

    /// <summary>"32" for a square latent, "32x48" (height x width) otherwise, "16f-30x53" for 16 frames of video.</summary>
    public string LatentShape => (LatentFrames is int f ? $"{f}f-" : "")
        + (LatentWidth is int w ? $"{LatentHeight}x{w}" : LatentHeight.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Every field of the key as one line, hashed into <see cref="FileName"/>. The typed fields are written the way plan
    /// files of version 1 carried them in the calibration text (",target:temporal", ",metric:guided"), and the candidate
    /// order, device kind and scope only when not the reference's, and the SSIM metric as "|metric:ssim", so every plan file
    /// named before they were typed keeps its name.
    /// </summary>
    public string CanonicalText =>
        string.Join('|', ModelFingerprint, LatentHeight, Steps, Scheduler.ToLowerInvariant(), Invariant(GuidanceScale), Window.Semantics,
            Window.HalfWidth, Window.BlockSize, Window.BlockRadius, Invariant(Threshold), LegacyCalibration)
        + (LatentWidth is int w ? $"|width:{w}" : "") + (LatentFrames is int f ? $"|frames:{f}" : "")
        + (CandidateOrder != CandidateOrder.Reference ? $"|order:{CandidateOrder.ToString().ToLowerInvariant()}" : "")
        + (DeviceKind is string device ? $"|device:{device}" : "")
        + (SearchScope != SearchScope.Attention ? $"|scope:{SearchScope.ToString().ToLowerInvariant()}" : "")
        + (BlockForecast ? "|forecast" : "")
        + (Metric == SearchMetric.Ssim ? "|metric:ssim" : "");

    /// <summary>
    /// A stable, readable file name: model prefix, shape, steps, scheduler, guidance, preset (D1..D6 for images, V1..V5
    /// for video, B1..B6 for block-scope images) or δ, "-ssim" for the SSIM metric, "-block" for a block-scope plan, the order
    /// and device kind when not the reference order ("-measured-cpu"), and a hash of <see cref="CanonicalText"/>. Attention-scope
    /// names are unchanged.
    /// </summary>
    public string FileName => FileNameWith(IsVideo ? CompressionPresets.NameOf(Threshold, OutputKind.Video, SearchScope)
        : SearchScope == SearchScope.Block ? CompressionPresets.NameOf(Threshold, OutputKind.Image, SearchScope, Metric)
        : CompressionPresets.LegacyNameOf(Threshold));                                     // image files keep their names (0.01·k is "Vk")

    /// <summary>
    /// The name a video plan had before presets were kind-aware (0.05 labelled "D2"), looked for when <see cref="FileName"/>
    /// is absent; null when the names agree.
    /// </summary>
    internal string? LegacyFileName => IsVideo && CompressionPresets.LegacyNameOf(Threshold) is var legacy
        && legacy != CompressionPresets.NameOf(Threshold, OutputKind.Video) ? FileNameWith(legacy) : null;

    /// <summary>The calibration text with the typed fields written as version 1 files carried them.</summary>
    internal string LegacyCalibration => Calibration + (Target == VideoAttention.Temporal ? ",target:temporal" : "")
        + (Metric == SearchMetric.GuidedOutput ? ",metric:guided" : "");

    private string FileNameWith(string? preset)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalText)))[..12];
        var delta = preset ?? "d" + Threshold.ToString("0.####", CultureInfo.InvariantCulture);
        if (Metric == SearchMetric.Ssim) delta += "-ssim";
        var model = ModelFingerprint[..Math.Min(8, ModelFingerprint.Length)];
        var scope = SearchScope == SearchScope.Attention ? "" : "-" + SearchScope.ToString().ToLowerInvariant();
        var order = CandidateOrder == CandidateOrder.Reference ? ""
            : "-" + CandidateOrder.ToString().ToLowerInvariant() + (DeviceKind is string device ? "-" + device : "");
        return string.Create(CultureInfo.InvariantCulture,
            $"{model}-{LatentShape}px-{Steps}{Scheduler.ToLowerInvariant()}-cfg{GuidanceScale:0.##}-{delta}{scope}{order}-{hash}.json");
    }

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
