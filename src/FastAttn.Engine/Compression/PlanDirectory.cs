namespace FastAttn.Engine.Compression;

/// <summary>A folder of plan files named by their <see cref="PlanKey.FileName"/>, so a plan is found again by its key.</summary>
public sealed class PlanDirectory
{
    /// <summary>Uses <paramref name="path"/> (created on the first save).</summary>
    public PlanDirectory(string path) => Path = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>Where the plan for <paramref name="key"/> lives.</summary>
    public string PathFor(PlanKey key) => System.IO.Path.Combine(Path, key.FileName);

    /// <summary>Saves <paramref name="plan"/> atomically under its key's name; returns the path.</summary>
    public string Save(CompressionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var path = PathFor(plan.Key);
        PlanSerializer.Save(plan, path);
        return path;
    }

    /// <summary>
    /// The plan for <paramref name="key"/>, or null when none was saved; a video plan saved under its name from before
    /// presets were kind-aware (δ 0.05 named "D2") is found too. A corrupt file throws <see cref="PlanFormatException"/>.
    /// </summary>
    public CompressionPlan? TryLoad(PlanKey key) => Find(key)?.Plan;

    /// <summary>The plan for <paramref name="key"/> and the file it was read from, or null when none was saved.</summary>
    public (CompressionPlan Plan, string Path)? Find(PlanKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var path = PathFor(key);
        if (!File.Exists(path) && key.LegacyFileName is string legacy) path = System.IO.Path.Combine(Path, legacy);
        if (!File.Exists(path)) return null;
        var plan = PlanSerializer.Load(path);
        if (plan.Key != key) throw new PlanFormatException(path, "its key does not match its file name (edited or copied by hand?).");
        return (plan, path);
    }
}
