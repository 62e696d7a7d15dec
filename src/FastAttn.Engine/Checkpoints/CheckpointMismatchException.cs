namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// A checkpoint's tensors do not fit the model: keys missing from the file, keys the model does not have, or
/// tensors of the wrong shape. The message lists them (the first 20 of each kind, with counts).
/// </summary>
public sealed class CheckpointMismatchException : Exception
{
    private const int Shown = 20;

    /// <summary>Model keys the checkpoint lacks.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Checkpoint keys the model does not have.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Keys present in both with different shapes, as "key: checkpoint [..] vs model [..]".</summary>
    public IReadOnlyList<string> Mismatched { get; }

    /// <summary>Creates the exception; <paramref name="source"/> names the file or model for the message.</summary>
    public CheckpointMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> mismatched)
        : base(BuildMessage(source, missing, unexpected, mismatched))
    {
        Missing = missing;
        Unexpected = unexpected;
        Mismatched = mismatched;
    }

    private static string BuildMessage(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> mismatched)
    {
        var sb = new System.Text.StringBuilder($"Checkpoint '{source}' does not match the model");
        sb.Append($" ({missing.Count} missing, {unexpected.Count} unexpected, {mismatched.Count} mis-shaped keys).");
        Append(sb, "Missing", missing);
        Append(sb, "Unexpected", unexpected);
        Append(sb, "Mis-shaped", mismatched);
        return sb.ToString();
    }

    private static void Append(System.Text.StringBuilder sb, string title, IReadOnlyList<string> keys)
    {
        if (keys.Count == 0) return;
        sb.Append($"\n{title} ({keys.Count}): ").Append(string.Join(", ", keys.Take(Shown)));
        if (keys.Count > Shown) sb.Append($", … and {keys.Count - Shown} more");
    }
}
