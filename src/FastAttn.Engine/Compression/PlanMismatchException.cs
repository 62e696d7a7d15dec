namespace FastAttn.Engine.Compression;

/// <summary>A plan made for another model or pipeline setting than the one it is used with.</summary>
public sealed class PlanMismatchException : Exception
{
    /// <summary>The key field that differs (e.g. "steps").</summary>
    public string Field { get; }

    /// <summary>Creates the exception.</summary>
    public PlanMismatchException(string field, string planValue, string actualValue)
        : base($"The compression plan was made for {field} = {planValue}, but this generation uses {field} = {actualValue}. " +
            "Search a plan for these settings (fastattn search) or use a matching one.")
        => Field = field;
}
