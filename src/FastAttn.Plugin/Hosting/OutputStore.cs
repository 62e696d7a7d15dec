using System.Globalization;
using FastAttn.Engine.Imaging;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Writes generated PNGs and GIFs atomically into the output folder and applies the retention policy after each write. A
/// failed write (disk full) is a <see cref="FastAttnOutputException"/> and leaves no file behind.
/// </summary>
internal sealed class OutputStore(FastAttnOptions options, ILogger logger, IFastAttnOutputStreams? streams = null)
{
    private readonly Lock _pruneLock = new();

    public string Directory { get; } = Path.GetFullPath(options.OutputDirectory ?? Path.Combine(Path.GetTempPath(), "fastattn-images"));

    public string Save(byte[] bytes, string model, string subject, long seed, string extension)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (extension.Length is < 2 or > 8 || extension[0] != '.' || !extension[1..].All(char.IsAsciiLetterOrDigit))
            throw new ArgumentException($"'{extension}' is not a file extension.", nameof(extension));
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{OutputFileName.Slug(model, 40, "model")}-{OutputFileName.Slug(subject)}-seed{seed}-{DateTime.UtcNow:yyyyMMddHHmmssfff}-" +
            $"{Guid.NewGuid().ToString("N")[..6]}{extension}");
        var path = OutputFileName.PathIn(Directory, name);
        try
        {
            AtomicFile.WriteAllBytes(path, bytes, streams is null ? null : streams.Create);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Could not save the result {Path}", path);
            throw new FastAttnOutputException(path, e);
        }
        Prune();
        return path;
    }

    /// <summary>Removes files saved for a request that then failed or was abandoned (best effort).</summary>
    public void Discard(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            try { File.Delete(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { logger.LogWarning(e, "Could not remove {Path}", path); }
        }
    }

    /// <summary>Deletes PNGs beyond <see cref="FastAttnRetention.MaxFiles"/> (oldest first) and older than <see
    /// cref="FastAttnRetention.MaxAge"/>.</summary>
    public void Prune()
    {
        var retention = options.Retention;
        lock (_pruneLock)
        {
            var files = new DirectoryInfo(Directory).GetFiles("*.png").Concat(new DirectoryInfo(Directory).GetFiles("*.gif"))
                .OrderByDescending(f => f.LastWriteTimeUtc).ToList();
            var doomed = new List<FileInfo>();
            if (retention.MaxFiles > 0) doomed.AddRange(files.Skip(retention.MaxFiles));
            if (retention.MaxAge is TimeSpan age) doomed.AddRange(files.Where(f => DateTime.UtcNow - f.LastWriteTimeUtc > age));
            foreach (var f in doomed.Distinct())
            {
                try { f.Delete(); }
                catch (IOException e) { logger.LogWarning(e, "Could not delete old image {Path}", f.FullName); }
                catch (UnauthorizedAccessException e) { logger.LogWarning(e, "Could not delete old image {Path}", f.FullName); }
            }
        }
    }
}
