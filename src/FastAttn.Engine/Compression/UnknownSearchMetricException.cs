namespace FastAttn.Engine.Compression;

/// <summary>
/// A search metric name that is not one of raw, guided or ssim (a <see cref="NotSupportedException"/>, as the other
/// unknown plan-search names are, so existing handlers still catch it).
/// </summary>
public sealed class UnknownSearchMetricException : NotSupportedException
{
    /// <summary>The names a search metric may have.</summary>
    public static IReadOnlyList<string> Allowed { get; } = ["raw", "guided", "ssim"];

    /// <summary>The name given.</summary>
    public string? Name { get; }

    /// <summary>Creates the exception for <paramref name="name"/>.</summary>
    public UnknownSearchMetricException(string? name)
        : base($"Unknown search metric '{name}'. Allowed: {string.Join(", ", Allowed)}.") => Name = name;
}
