using System.Globalization;

namespace FastAttn.Engine.Conditioning;

/// <summary>
/// Maps a text prompt to a class of a class-conditional model: digit models (labels "0".."9") read digits in any wording
/// ("a handwritten seven"), other models match a class name (ImageNet names, closest-name suggestions on a miss).
/// </summary>
public static class PromptClasses
{
    /// <summary>Whether <paramref name="labels"/> are the ten digits.</summary>
    public static bool AreDigits(ClassLabels labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.Count == 10 && Enumerable.Range(0, 10).All(i => labels.NameOf(i) == i.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The class <paramref name="prompt"/> asks for; <see cref="UnknownClassException"/> or <see cref="AmbiguousClassException"/> otherwise.
    /// </summary>
    public static int Resolve(ClassLabels labels, string prompt)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(prompt);
        return AreDigits(labels) ? DigitPrompts.Parse(prompt) : labels.Resolve(prompt);
    }

    /// <summary>"7" for digit models, "207 golden retriever" otherwise.</summary>
    public static string Describe(ClassLabels labels, int id)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var name = labels.NameOf(id);
        return name == id.ToString(CultureInfo.InvariantCulture) ? name : $"{id} {name}";
    }
}
