using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The captions a text-conditioned plan search calibrates on, written for FastAttn and shipped inside the engine: 40
/// varied image captions (subjects, counts, text, lighting, styles, close-ups and wide views) and 12 video prompts (camera
/// moves, fast and slow motion, water, crowds, weather), or a caller's own list.
/// </summary>
public static class CalibrationCaptions
{
    private static readonly Lazy<IReadOnlyList<string>> Shipped = new(() => Load("FastAttn.Engine.Resources.calibration-captions-v1.txt"));
    private static readonly Lazy<IReadOnlyList<string>> ShippedVideo = new(() => Load("FastAttn.Engine.Resources.calibration-video-prompts-v1.txt"));

    /// <summary>Name of the shipped image set in plan keys.</summary>
    public const string DefaultName = "fastattn-captions-v1";

    /// <summary>
    /// Captions a PixArt search takes by default: 6, the paper's calibration size (it used 6 COCO captions; these are the
    /// first 6 shipped ones). Each search step runs the whole calibration batch, so all 40 cost about 6.7× as much.
    /// </summary>
    public const int PaperImageCount = 6;

    /// <summary>Name of the shipped video set in plan keys.</summary>
    public const string VideoName = "fastattn-video-prompts-v1";

    /// <summary>The shipped image captions, in file order.</summary>
    public static IReadOnlyList<string> Default => Shipped.Value;

    /// <summary>The shipped video prompts, in file order.</summary>
    public static IReadOnlyList<string> Video => ShippedVideo.Value;

    /// <summary>
    /// <paramref name="count"/> captions for a search: all of <paramref name="captions"/> (the shipped image or
    /// <paramref name="video"/> set when null) when
    /// count is null or covers them, else the first <paramref name="count"/> (the list is varied throughout).
    /// </summary>
    public static IReadOnlyList<string> Take(IReadOnlyList<string>? captions, int? count, bool video = false)
    {
        var set = captions ?? (video ? Video : Default);
        if (set.Count == 0) throw new ArgumentException("At least one calibration caption is required.", nameof(captions));
        if (count is int n && n < 1) throw new ArgumentOutOfRangeException(nameof(count), $"At least one calibration caption is required; got {n}.");
        return count is int k && k < set.Count ? set.Take(k).ToArray() : set;
    }

    /// <summary>How a plan key names a caption set: the shipped set's name with the count, or a hash of the captions.</summary>
    public static string Describe(IReadOnlyList<string> captions)
    {
        ArgumentNullException.ThrowIfNull(captions);
        foreach (var (name, set) in new[] { (DefaultName, Default), (VideoName, Video) })
            if (captions.Count <= set.Count && captions.SequenceEqual(set.Take(captions.Count))) return $"captions:{name}[{captions.Count}]";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', captions))))[..12];
        return $"captions:custom{captions.Count}-{hash}";
    }

    /// <summary>The captions a search with <paramref name="options"/> calibrates on (the shipped video set for video options).</summary>
    public static IReadOnlyList<string> For(TextPlanSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Take(options.CalibrationPrompts, options.CalibrationCaptionCount, options is VideoPlanSearchOptions);
    }

    /// <summary>
    /// The calibration part of a plan key for a text-conditioned search: the caption set, seed and negative prompt (when
    /// not empty). The metric and video target are typed fields of the key.
    /// </summary>
    public static string KeyName(TextPlanSearchOptions options)
    {
        var name = $"{Describe(For(options))},seed:{options.CalibrationSeed}";
        return options.CalibrationNegativePrompt.Length == 0
            ? name
            : name + ",negative:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(options.CalibrationNegativePrompt)))[..8];
    }

    private static IReadOnlyList<string> Load(string resourceName)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The engine is missing its embedded resource {resourceName}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is string line)
            if (line.Trim() is { Length: > 0 } text && !text.StartsWith('#')) lines.Add(text);
        return lines;
    }
}
