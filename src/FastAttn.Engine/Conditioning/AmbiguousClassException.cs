namespace FastAttn.Engine.Conditioning;

/// <summary>A class name that names several labels (ImageNet's "crane": 134 the bird, 517 the machine); choose by id.</summary>
public sealed class AmbiguousClassException : ArgumentException
{
    /// <summary>The ambiguous name.</summary>
    public string Requested { get; }

    /// <summary>The ids it names.</summary>
    public IReadOnlyList<int> Ids { get; }

    /// <summary>Creates the exception.</summary>
    public AmbiguousClassException(string requested, IReadOnlyList<int> ids)
        : base($"Class name '{requested}' is ambiguous: it names classes {string.Join(" and ", ids)}. Give the id instead (e.g. --class {ids[0]}).")
    {
        Requested = requested;
        Ids = ids;
    }
}
