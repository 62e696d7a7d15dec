namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Models shipped with the engine (copied beside the assembly under <c>models/NAME</c>): <c>tiny-mnist</c>, a small
/// class-conditional pixel-space DiT trained by this project on MNIST digits, with its sampling defaults and searched
/// DiTFastAttn plans (<c>plans/</c>).
/// </summary>
public static class BuiltInModels
{
    /// <summary>The default model's name.</summary>
    public const string Default = "tiny-mnist";

    /// <summary>Where built-in models live.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>The names of the built-in models present.</summary>
    public static IReadOnlyList<string> Names => Directory.Exists(Root) ? Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order().ToArray() : [];

    /// <summary>The folder of built-in model <paramref name="name"/>, or null when <paramref name="name"/> is not one.</summary>
    public static string? TryResolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('/') || name.Contains('\\') || name.Contains('.')) return null;
        var dir = Path.Combine(Root, name);
        return Directory.Exists(dir) ? dir : null;
    }

    /// <summary>The shipped plans folder of a model folder (null when it has none).</summary>
    public static string? PlansOf(string modelFolder)
    {
        var dir = Path.Combine(modelFolder, "plans");
        return Directory.Exists(dir) ? dir : null;
    }
}
