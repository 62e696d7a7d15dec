namespace FastAttn.Engine.Families;

/// <summary>
/// A model family (class-conditional DiT, PixArt, Open-Sora …): recognises its model folders or checkpoints and loads
/// them as an <see cref="IGenerativeModel"/>. Families are listed in a <see cref="ModelFamilyRegistry"/>; adding a
/// family is adding one class that implements this, and registering it.
/// </summary>
public interface IModelFamily
{
    /// <summary>The family's name ("dit", "pixart", "opensora"): what a model's configured kind names.</summary>
    string Name { get; }

    /// <summary>What the family loads, in words, for the error on a path no family recognises.</summary>
    string Expects { get; }

    /// <summary>Whether <paramref name="path"/> (a file, a folder or a built-in model name) is one of this family's models; never throws.</summary>
    bool CanLoad(string path);

    /// <summary>Loads the model at <paramref name="path"/>; a path it cannot load is a clear error naming what is wrong.</summary>
    IGenerativeModel Load(string path, ModelLoadSettings settings);
}
