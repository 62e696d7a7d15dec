using FastAttn.Engine.Families.DiT;
using FastAttn.Engine.Families.OpenSora;
using FastAttn.Engine.Families.PixArt;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Families.Random;

/// <summary>
/// The one builder of random-weight models, for benchmarks that time shapes and for tests: every family's named configs
/// (<see cref="Names"/>) behind the family seam, and model folders on disk for tests that need a path.
/// </summary>
public static class RandomModels
{
    /// <summary>The families' random-weight configs, in order.</summary>
    public static IReadOnlyList<IRandomModelSource> Sources { get; } = [new DiTRandomModels(), new PixArtRandomModels(), new OpenSoraRandomModels()];

    /// <summary>Every config name, for help texts and errors.</summary>
    public static IReadOnlyList<string> Names => [.. Sources.SelectMany(s => s.Names)];

    /// <summary>A random-weight model of config <paramref name="name"/> (case-insensitive); an unknown name is an error listing <see
    /// cref="Names"/>.</summary>
    public static RandomModel Create(string name, RandomModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        var source = Sources.FirstOrDefault(s => s.Names.Contains(trimmed, StringComparer.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown random-weight config '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
        var canonical = source.Names.First(n => n.Equals(trimmed, StringComparison.OrdinalIgnoreCase));
        return source.Create(canonical, options ?? new RandomModelOptions());
    }

    /// <summary>
    /// Writes a class-conditional config (default <see cref="DiTRandomModels.TinyDigits"/>) as a model folder
    /// <paramref name="folder"/> that <see cref="ModelFamilyRegistry"/> loads, with <paramref name="defaults"/> as its
    /// defaults.json (default: 10 DDIM steps at guidance 4); returns the folder.
    /// </summary>
    public static string WriteFolder(string folder, string name = DiTRandomModels.TinyDigits, RandomModelOptions? options = null,
        SamplingDefaults? defaults = null) =>
        DiTRandomModels.WriteFolder(name, folder, options ?? new RandomModelOptions(), defaults);
}
