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
    public static IReadOnlyList<string> Names => Directory.Exists(Root)
        ? Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order().ToArray()
        : [];

    /// <summary>The weights file of a built-in model.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>
    /// The weights of built-in model <paramref name="name"/>, or null when <paramref name="name"/> is not one. A built-in
    /// folder shipped without its weights is an <see cref="InvalidOperationException"/> saying so.
    /// </summary>
    public static string? TryResolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('/') || name.Contains('\\') || name.Contains('.')) return null;
        var dir = Path.Combine(Root, name);
        if (!Directory.Exists(dir)) return null;
        var weights = Path.Combine(dir, WeightsFile);
        return File.Exists(weights) ? weights
            : throw new InvalidOperationException(
                $"The built-in model '{name}' has no weights in this build ({weights} is missing); pass a checkpoint with --model.");
    }

    /// <summary>The shipped plans folder of a model folder (null when it has none).</summary>
    public static string? PlansOf(string modelFolder)
    {
        var dir = Path.Combine(modelFolder, "plans");
        return Directory.Exists(dir) ? dir : null;
    }
}
