namespace FastAttn.Engine.Checkpoints;

/// <summary>A checkpoint file or folder cannot be read: unknown format, corrupt file, or missing pieces.</summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>The file or folder that failed.</summary>
    public string Path { get; }

    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public CheckpointFormatException(string path, string message, Exception? inner = null)
        : base($"Cannot read checkpoint '{path}': {message}", inner) => Path = path;

    /// <summary>
    /// Refuses a tensor or storage of more than <see cref="Array.MaxLength"/> bytes (~2 GiB), which the readers cannot hold in one
    /// buffer; no model this project loads has one (the largest, T5-XXL's shared embedding, is ~0.5 GB in fp32).
    /// </summary>
    internal static void ThrowIfTooLarge(string path, string name, long bytes)
    {
        if (bytes > Array.MaxLength)
            throw new CheckpointFormatException(path,
                $"'{name}' holds {bytes} bytes; tensors of more than {Array.MaxLength} bytes (~2 GiB) are not supported.");
    }
}
