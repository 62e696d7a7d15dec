using System.Text;

namespace FastAttn.Engine.Imaging;

/// <summary>
/// The one sanitiser for output file names derived from requests (prompts, class names, model names): a slug of ASCII
/// letters and digits, and a path check that the name is a plain file name that resolves inside its folder. Prompts
/// with <c>../</c>, <c>..\</c>, absolute paths, NUL and control characters, bidi overrides, reserved device names
/// (CON, NUL, …), only dots or 10,000 characters all come out as a short, harmless name.
/// </summary>
public static class OutputFileName
{
    /// <summary>The longest file name, in UTF-8 bytes, most file systems accept.</summary>
    public const int MaxBytes = 255;

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
        "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    };

    /// <summary>
    /// <paramref name="text"/> as a slug: ASCII letters and digits (lower-cased) kept, every other run of characters one
    /// '-', trimmed, at most <paramref name="maxLength"/> characters; <paramref name="fallback"/> when nothing is left,
    /// and a reserved device name gets a '_' in front.
    /// </summary>
    public static string Slug(string? text, int maxLength = 48, string fallback = "image")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var sb = new StringBuilder(Math.Min(text?.Length ?? 0, maxLength + 1));
        foreach (var c in text ?? "")
        {
            if (sb.Length > maxLength) break;
            if (char.IsAsciiLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        var slug = sb.ToString();
        if (slug.Length > maxLength) slug = slug[..maxLength];
        slug = slug.Trim('-');
        if (slug.Length == 0) slug = fallback;
        return Reserved.Contains(slug) ? "_" + slug : slug;
    }

    /// <summary>
    /// The full path of <paramref name="fileName"/> inside <paramref name="folder"/>. Throws <see cref="ArgumentException"/>
    /// when the name is not a plain file name (separators, '.', '..', NUL or control characters, a rooted path), is longer
    /// than <see cref="MaxBytes"/> UTF-8 bytes, or would resolve outside the folder.
    /// </summary>
    public static string PathIn(string folder, string fileName)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(fileName);
        if (fileName.Length == 0 || fileName.Trim('.').Length == 0 || fileName.Any(c => c is '/' or '\\' or ':' || char.IsControl(c))
            || Path.IsPathRooted(fileName) || Encoding.UTF8.GetByteCount(fileName) > MaxBytes)
            throw new ArgumentException($"'{Printable(fileName)}' is not a plain file name of at most {MaxBytes} bytes.", nameof(fileName));
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var full = Path.GetFullPath(Path.Combine(root, fileName));
        if (!string.Equals(Path.GetDirectoryName(full), root, StringComparison.Ordinal))
            throw new ArgumentException($"'{Printable(fileName)}' resolves outside '{root}'.", nameof(fileName));
        return full;
    }

    private static string Printable(string text)
    {
        var cut = text.Length > 80 ? text[..80] + "…" : text;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
