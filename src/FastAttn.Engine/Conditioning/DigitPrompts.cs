using System.Text.RegularExpressions;

namespace FastAttn.Engine.Conditioning;

/// <summary>
/// Maps a text prompt for a digit model to its class: "7", "digit 7", "the number 7", "a handwritten seven" → 7.
/// Anything else is an <see cref="UnknownClassException"/> telling what is accepted.
/// </summary>
public static partial class DigitPrompts
{
    private static readonly string[] Words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>The digit a prompt asks for.</summary>
    public static int Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var text = prompt.Trim().ToLowerInvariant();
        var digits = DigitChars().Matches(text).Select(m => m.Value).Distinct().ToList();
        var words = Words.Select((w, i) => (w, i)).Where(p => Regex.IsMatch(text, $@"\b{p.w}\b")).Select(p => p.i).Distinct().ToList();
        var found = digits.Select(int.Parse).Concat(words).Distinct().ToList();
        if (found.Count == 1) return found[0];
        throw new UnknownClassException(prompt, found.Count == 0
            ? $"The prompt '{prompt}' names no digit. This model draws the digits 0–9: ask for e.g. \"7\", \"digit 7\" or \"a handwritten seven\"."
            : $"The prompt '{prompt}' names several digits ({string.Join(", ", found)}); ask for one digit at a time.", []);
    }

    [GeneratedRegex(@"(?<![\d.])\d(?![\d.])")]
    private static partial Regex DigitChars();
}
