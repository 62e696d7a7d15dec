namespace FastAttn.Engine.Compression;

/// <summary>
/// A plan search or a plan of a <see cref="SearchScope"/> a model family or attention target does not run (block scope runs
/// on DiT, PixArt and Open-Sora's spatial plans; Open-Sora's temporal plans are attention scope only).
/// </summary>
public sealed class SearchScopeNotSupportedException : NotSupportedException
{
    /// <summary>Creates the exception for <paramref name="scope"/> on the family <paramref name="family"/>.</summary>
    public SearchScopeNotSupportedException(SearchScope scope, string family)
        : base($"Search scope '{scope.ToString().ToLowerInvariant()}' is not supported for {family} " +
            "(block-scope plans decide whole blocks through the spatial plan; a temporal plan is searched in the attention scope, V1..V5).")
    {
        Scope = scope;
        Family = family;
    }

    /// <summary>The scope asked for.</summary>
    public SearchScope Scope { get; }

    /// <summary>The family (and target) that does not support it.</summary>
    public string Family { get; }

    /// <summary>Throws unless <paramref name="scope"/> is the attention scope.</summary>
    internal static void ThrowUnlessAttention(SearchScope scope, string family)
    {
        if (scope != SearchScope.Attention) throw new SearchScopeNotSupportedException(scope, family);
    }
}
