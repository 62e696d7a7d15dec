using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The captions a text-to-image plan search calibrates on: 40 varied captions written for FastAttn and shipped inside
/// the engine (subjects, counts, text, lighting, styles, close-ups and wide views), or a caller's own list.
/// </summary>
public static class CalibrationCaptions
{
    private const string ResourceName = "FastAttn.Engine.Resources.calibration-captions-v1.txt";
    private static readonly Lazy<IReadOnlyList<string>> Shipped = new(Load);

    /// <summary>Name of the shipped set in plan keys.</summary>
    public const string DefaultName = "fastattn-captions-v1";

    /// <summary>The shipped captions, in file order.</summary>
    public static IReadOnlyList<string> Default => Shipped.Value;

    /// <summary>
    /// <paramref name="count"/> captions for a search: all of <paramref name="captions"/> (the shipped set when null) when
    /// count is null or covers them, else the first <paramref name="count"/> (the list is varied throughout).
    /// </summary>
    public static IReadOnlyList<string> Take(IReadOnlyList<string>? captions, int? count)
    {
        var set = captions ?? Default;
        if (set.Count == 0) throw new ArgumentException("At least one calibration caption is required.", nameof(captions));
        if (count is int n && n < 1) throw new ArgumentOutOfRangeException(nameof(count), $"At least one calibration caption is required; got {n}.");
        return count is int k && k < set.Count ? set.Take(k).ToArray() : set;
    }

    /// <summary>How a plan key names a caption set: the shipped set's name with the count, or a hash of the captions.</summary>
    public static string Describe(IReadOnlyList<string> captions)
    {
        ArgumentNullException.ThrowIfNull(captions);
        bool shipped = captions.Count <= Default.Count && captions.SequenceEqual(Default.Take(captions.Count));
        if (shipped) return $"captions:{DefaultName}[{captions.Count}]";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', captions))))[..12];
        return $"captions:custom{captions.Count}-{hash}";
    }

    private static IReadOnlyList<string> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The engine is missing its embedded resource {ResourceName}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is string line)
            if (line.Trim() is { Length: > 0 } text && !text.StartsWith('#')) lines.Add(text);
        return lines;
    }
}
