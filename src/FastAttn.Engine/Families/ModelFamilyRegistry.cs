using FastAttn.Engine.Families.DiT;
using FastAttn.Engine.Families.OpenSora;
using FastAttn.Engine.Families.PixArt;

namespace FastAttn.Engine.Families;

/// <summary>
/// The model families an application knows, in detection order: a path is loaded by the first family that recognises
/// it, or by the family a configuration names. <see cref="Default"/> has Open-Sora, PixArt and the class-conditional DiT
/// (the DiT last: it also takes bare checkpoints and built-in names); <see cref="With"/> adds one in front.
/// </summary>
public sealed class ModelFamilyRegistry
{
    /// <summary>A registry of <paramref name="families"/> (detection order).</summary>
    public ModelFamilyRegistry(IEnumerable<IModelFamily> families)
    {
        ArgumentNullException.ThrowIfNull(families);
        Families = families.ToArray();
        var duplicate = Families.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two model families are named '{duplicate.Key}'.", nameof(families));
    }

    /// <summary>The built-in families: Open-Sora, PixArt, DiT.</summary>
    public static ModelFamilyRegistry Default { get; } = new([new OpenSoraFamily(), new PixArtFamily(), new DiTFamily()]);

    /// <summary>The families, in detection order.</summary>
    public IReadOnlyList<IModelFamily> Families { get; }

    /// <summary>A registry with <paramref name="family"/> tried first (it replaces one of the same name).</summary>
    public ModelFamilyRegistry With(IModelFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        return new ModelFamilyRegistry(Families.Where(f => !f.Name.Equals(family.Name, StringComparison.OrdinalIgnoreCase)).Prepend(family));
    }

    /// <summary>The family named <paramref name="name"/>; an unknown name is an error listing the known ones.</summary>
    public IModelFamily Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Families.FirstOrDefault(f => f.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown model family '{name}'. Known: {string.Join(", ", Families.Select(f => f.Name))}.", nameof(name));
    }

    /// <summary>
    /// The family of <paramref name="path"/>: the one named by <paramref name="family"/> ("auto" or null: the first that
    /// recognises the path). No family recognising it is an <see cref="UnknownModelException"/> listing what each looks for.
    /// </summary>
    public IModelFamily Detect(string path, string? family = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (family is not null && !family.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return Get(family);
        return Families.FirstOrDefault(f => f.CanLoad(path)) ?? throw new UnknownModelException(path, Families);
    }

    /// <summary>Loads <paramref name="path"/> with its family (see <see cref="Detect"/>).</summary>
    public IGenerativeModel Load(string path, ModelLoadSettings? settings = null, string? family = null) =>
        Detect(path, family).Load(path, settings ?? new ModelLoadSettings());
}
