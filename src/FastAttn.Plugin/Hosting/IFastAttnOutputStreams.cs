namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Opens the temporary file each result is written into before it is renamed into the output folder. The default writes
/// to disk; register another (fault injection: a disk that fills up, a flaky network share) to see how the engine copes.
/// </summary>
public interface IFastAttnOutputStreams
{
    /// <summary>A new, writable stream for the temporary file <paramref name="tempPath"/> (it does not exist yet).</summary>
    Stream Create(string tempPath);
}
