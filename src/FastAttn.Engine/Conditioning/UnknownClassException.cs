namespace FastAttn.Engine.Conditioning;

/// <summary>A class name or id that the model's label list does not have; <see cref="Suggestions"/> holds the closest names.</summary>
public sealed class UnknownClassException : ArgumentException
{
    /// <summary>What was asked for.</summary>
    public string Requested { get; }

    /// <summary>The closest known labels.</summary>
    public IReadOnlyList<(int Id, string Name)> Suggestions { get; }

    /// <summary>Creates the exception.</summary>
    public UnknownClassException(string requested, string message, IReadOnlyList<(int Id, string Name)> suggestions) : base(message)
    {
        Requested = requested;
        Suggestions = suggestions;
    }
}
