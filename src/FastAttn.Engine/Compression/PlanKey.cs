using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Everything a compression plan depends on besides its methods: the model (fingerprint), latent size, step count,
/// scheduler, guidance scale, window, threshold δ and calibration set. Its <see cref="FileName"/> names the plan in a
/// plan directory, so that any preset or custom δ is found again.
/// </summary>
/// <param name="ModelFingerprint">SHA-256 over the model's state-dict names, shapes and values.</param>
/// <param name="LatentSize">Side of the latent (or pixel) input.</param>
/// <param name="Steps">Denoising steps.</param>
/// <param name="Scheduler">Sampler name.</param>
/// <param name="GuidanceScale">Classifier-free guidance scale.</param>
/// <param name="Window">Window semantics and size.</param>
/// <param name="Threshold">The search threshold δ.</param>
/// <param name="Calibration">Description of the calibration inputs (e.g. "labels:8,seed:3").</param>
/// <param name="LatentWidth">Width of a non-square latent (text-to-image aspect-ratio buckets); null when square.</param>
/// <param name="LatentFrames">Latent frames of a video model; null for images.</param>
public sealed record PlanKey(string ModelFingerprint, int LatentSize, int Steps, string Scheduler, double GuidanceScale,
    WindowSpec Window, double Threshold, string Calibration, int? LatentWidth = null, int? LatentFrames = null)
{
    /// <summary>Width of a non-square latent, or null when square (<see cref="LatentSize"/> is then both sides; a width equal to it is stored as null).</summary>
    public int? LatentWidth { get; init; } = LatentWidth is int w && w != LatentSize ? w : null;

    /// <summary>Latent width: <see cref="LatentWidth"/>, or <see cref="LatentSize"/> when square.</summary>
    public int Width => LatentWidth ?? LatentSize;

    /// <summary>"32" for a square latent, "32x48" (height x width) otherwise, "16f-30x53" for 16 frames of video.</summary>
    public string LatentShape => (LatentFrames is int f ? $"{f}f-" : "") + (LatentWidth is int w ? $"{LatentSize}x{w}" : LatentSize.ToString(CultureInfo.InvariantCulture));

    /// <summary>A stable, readable file name: model prefix, size, steps, scheduler, guidance, δ and a hash of the whole key.</summary>
    public string FileName
    {
        get
        {
            var canonical = string.Join('|', ModelFingerprint, LatentSize, Steps, Scheduler.ToLowerInvariant(),
                GuidanceScale.ToString("R", CultureInfo.InvariantCulture), Window.Semantics, Window.HalfWidth, Window.BlockSize, Window.BlockRadius,
                Threshold.ToString("R", CultureInfo.InvariantCulture), Calibration) + (LatentWidth is int w ? $"|width:{w}" : "") + (LatentFrames is int f ? $"|frames:{f}" : "");
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..12];
            var delta = CompressionPresets.NameOf(Threshold) ?? "d" + Threshold.ToString("0.####", CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture,
                $"{ModelFingerprint[..Math.Min(8, ModelFingerprint.Length)]}-{LatentShape}px-{Steps}{Scheduler.ToLowerInvariant()}-cfg{GuidanceScale:0.##}-{delta}-{hash}.json");
        }
    }
}
