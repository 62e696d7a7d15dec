namespace FastAttn.Engine.Compression;

/// <summary>A plan file that cannot be read: not JSON, wrong format or version, or inconsistent content.</summary>
public sealed class PlanFormatException : Exception
{
    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Creates the exception.</summary>
    public PlanFormatException(string path, string message, Exception? inner = null)
        : base($"Plan file '{path}' is invalid: {message}", inner) => Path = path;
}
