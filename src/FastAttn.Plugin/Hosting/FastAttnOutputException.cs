namespace FastAttn.Plugin.Hosting;

/// <summary>
/// A generated result could not be saved (disk full, folder not writable): the request fails, nothing half-written is left
/// in the output folder, and the engine goes on serving the next request.
/// </summary>
public sealed class FastAttnOutputException : IOException
{
    /// <summary>ENOSPC on Linux and macOS.</summary>
    private const int ENOSPC = 28;

    /// <summary>Creates the exception for the file <paramref name="path"/> that failed.</summary>
    public FastAttnOutputException(string path, Exception inner)
        : base($"The result could not be saved to '{path}'{(IsDiskFull(inner) ? " (the disk is full)" : "")}: {inner?.Message}", inner)
    {
        OutputPath = path;
        DiskFull = IsDiskFull(inner);
    }

    /// <summary>The file that could not be written.</summary>
    public string OutputPath { get; }

    /// <summary>Whether the cause was a full disk (ENOSPC, or Windows' ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL).</summary>
    public bool DiskFull { get; }

    /// <summary>Whether <paramref name="e"/> (or an exception inside it) says the disk is full.</summary>
    public static bool IsDiskFull(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is IOException && (e.HResult is ENOSPC or unchecked((int)0x80070070) or unchecked((int)0x80070027))) return true;
        return false;
    }
}
