namespace FastAttn.Engine.Families;

/// <summary>A path that no registered model family recognises; the message lists what each family looks for.</summary>
public sealed class UnknownModelException : ArgumentException
{
    /// <summary>Creates the error for <paramref name="path"/>.</summary>
    public UnknownModelException(string path, IEnumerable<IModelFamily> families)
        : base($"'{path}' is not a model any family loads. Looked for: " +
               string.Join("; ", (families ?? throw new ArgumentNullException(nameof(families))).Select(f => $"{f.Name}: {f.Expects}")) + ".")
        => Path = path;

    /// <summary>The path given.</summary>
    public string Path { get; }
}
