namespace FastAttn.Engine.Checkpoints;

/// <summary>A checkpoint file or folder cannot be read: unknown format, corrupt file, or missing pieces.</summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>The file or folder that failed.</summary>
    public string Path { get; }

    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public CheckpointFormatException(string path, string message, Exception? inner = null)
        : base($"Cannot read checkpoint '{path}': {message}", inner) => Path = path;
}
