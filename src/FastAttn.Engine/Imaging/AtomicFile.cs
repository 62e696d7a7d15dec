namespace FastAttn.Engine.Imaging;

/// <summary>Writes files atomically: into a temporary file in the same folder, then renamed over the target.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> (creating its folder).</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes) => WriteAllBytes(path, bytes, null);

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/> through the stream <paramref name="open"/> creates for the
    /// temporary file (null: a <see cref="FileStream"/>); whatever fails, the temporary file is removed and the target is
    /// either the old file or the complete new one.
    /// </summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, Func<string, Stream>? open)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = open?.Invoke(temp) ?? new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                if (stream is FileStream file) file.Flush(flushToDisk: true);
                else stream.Flush();
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/>.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}
