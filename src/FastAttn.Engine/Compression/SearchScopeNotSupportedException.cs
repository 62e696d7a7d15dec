namespace FastAttn.Engine.Compression;

/// <summary>
/// A plan search or a plan of a <see cref="SearchScope"/> a model family does not run (block scope is implemented for the
/// class-conditional DiT family only, so far).
/// </summary>
public sealed class SearchScopeNotSupportedException : NotSupportedException
{
    /// <summary>Creates the exception for <paramref name="scope"/> on the family <paramref name="family"/>.</summary>
    public SearchScopeNotSupportedException(SearchScope scope, string family)
        : base($"Search scope '{scope.ToString().ToLowerInvariant()}' is not supported for {family} models yet " +
            "(block-scope plans — presets B1..B6 — run on class-conditional DiT models only); use the attention scope (D1..D6, V1..V5).")
    {
        Scope = scope;
        Family = family;
    }

    /// <summary>The scope asked for.</summary>
    public SearchScope Scope { get; }

    /// <summary>The family that does not support it.</summary>
    public string Family { get; }

    /// <summary>Throws unless <paramref name="scope"/> is the attention scope.</summary>
    internal static void ThrowUnlessAttention(SearchScope scope, string family)
    {
        if (scope != SearchScope.Attention) throw new SearchScopeNotSupportedException(scope, family);
    }
}
