using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Plugin.Options;

namespace FastAttn.Plugin.Hosting;

/// <summary>The compression a request asked for: its label ("raw", "D3", "B3", "V2", "δ=0.06") and threshold δ.</summary>
internal readonly record struct Quality(string Label, double Delta);

/// <summary>
/// The engine's request policy, applied before a job is queued: the configured limits (requests may come from an LLM),
/// and the preset or threshold a request asked for (else the configured one) as a label and δ. A request beyond them is
/// a <see cref="FastAttnRequestException"/> naming the field.
/// </summary>
internal sealed class RequestPolicy(FastAttnOptions options)
{
    /// <summary>Checks an image request; returns its quality.</summary>
    public Quality Check(FastAttnImageRequest r)
    {
        var l = options.Limits;
        CheckCommon(r.Prompt, r.Steps, r.GuidanceScale, r.Width, r.Height, "Image");
        if (r.Count < 1 || r.Count > l.MaxImages) throw new FastAttnRequestException($"Ask for 1 to {l.MaxImages} images (got {r.Count}).", "count");
        return QualityOf(r.Preset, r.Threshold, options.Threshold, options.Preset, OutputKind.Image);
    }

    /// <summary>Checks a video request; returns its quality.</summary>
    public Quality Check(FastAttnVideoRequest r)
    {
        var l = options.Limits;
        CheckCommon(r.Prompt, r.Steps, r.GuidanceScale, r.Width, r.Height, "Clip");
        if (r.Frames is int f && (f < 1 || f > l.MaxFrames))
            throw new FastAttnRequestException($"Frames must be within 1..{l.MaxFrames} (got {f}).", "frames");
        if (r.Fps is double fps && (double.IsNaN(fps) || fps <= 0 || fps > 60))
            throw new FastAttnRequestException($"Playback fps must be within (0, 60] (got {fps}).", "fps");
        return QualityOf(r.Preset, r.Threshold, null, options.VideoPreset, OutputKind.Video);
    }

    /// <summary>The Engine's request for an image request: δ resolved, the seed drawn when unset, resizing as configured.</summary>
    public GenerationRequest ToGeneration(FastAttnImageRequest r, Quality quality) =>
        Fill(new GenerationRequest { NegativePrompt = r.NegativePrompt, Count = r.Count, AllowResize = options.AllowResize },
            r.Prompt, r.Width, r.Height, r.Steps, r.GuidanceScale, r.Seed, quality);

    /// <summary>The Engine's request for a video request.</summary>
    public static VideoRequest ToGeneration(FastAttnVideoRequest r, Quality quality) =>
        (VideoRequest)Fill(new VideoRequest { Frames = r.Frames, Fps = r.Fps }, r.Prompt, r.Width, r.Height, r.Steps, r.GuidanceScale, r.Seed,
            quality);

    /// <summary>The fields image and video requests share (the copy keeps <paramref name="request"/>'s type).</summary>
    private static GenerationRequest Fill(GenerationRequest request, string prompt, int? width, int? height, int? steps, double? guidance,
        long? seed, Quality quality) => request with
    {
        Prompt = prompt,
        Width = width,
        Height = height,
        Steps = steps,
        GuidanceScale = guidance,
        Seed = seed ?? Random.Shared.NextInt64(0, int.MaxValue),
        Threshold = quality.Delta,
        Preset = quality.Label,                                                         // a B preset's label selects the block scope
    };

    /// <summary>The limits every request shares: prompt present and not too long, steps, guidance, sides.</summary>
    private void CheckCommon(string? prompt, int? steps, double? guidance, int? width, int? height, string what)
    {
        var l = options.Limits;
        if (prompt is null) throw new FastAttnRequestException("The prompt is missing.", "prompt");
        if (prompt.Length > l.MaxPromptLength)
            throw new FastAttnRequestException($"The prompt has {prompt.Length} characters; the limit is {l.MaxPromptLength}.", "prompt");
        if (steps is int s && (s < 1 || s > l.MaxSteps)) throw new FastAttnRequestException($"Steps must be within 1..{l.MaxSteps} (got {s}).",
            "steps");
        if (guidance is double g && (double.IsNaN(g) || g < 1 || g > l.MaxGuidanceScale))
            throw new FastAttnRequestException($"The guidance scale must be within 1..{l.MaxGuidanceScale} (got {g}).", "guidance");
        foreach (var side in new[] { width, height })
            if (side is int px && (px < 1 || px > l.MaxSize))
                throw new FastAttnRequestException($"{what} sides must be within 1..{l.MaxSize} pixels (got {px}).", "size");
    }

    /// <summary>The label and δ of a request: its threshold, its preset, else the configured threshold or preset.</summary>
    private static Quality QualityOf(string? preset, double? threshold, double? configuredThreshold, string configuredPreset, OutputKind kind)
    {
        string Label(double t) => CompressionPresets.NameOf(t, kind) ?? $"δ={t.ToString("0.####", CultureInfo.InvariantCulture)}";
        if (threshold is double t)
        {
            if (t < 0 || double.IsNaN(t)) throw new FastAttnRequestException($"The threshold δ must be ≥ 0 (got {t}).", "threshold");
            return new(Label(t), t);
        }
        if (preset is null && configuredThreshold is double ot) return new(Label(ot), ot);
        var name = (preset ?? configuredPreset).Trim();
        if (!FastAttnOptionsValidator.IsPreset(name))
            throw new FastAttnRequestException(
                $"Unknown quality preset '{name}'. Use raw (best quality), D1 (mild) to D6 (fastest), B1 to B6 (block scope), or V1 to V5 " +
                "for video.", "preset");
        double delta = CompressionPresets.Threshold(name);
        return new(delta == 0 ? "raw" : name.ToUpperInvariant(), delta);
    }
}
