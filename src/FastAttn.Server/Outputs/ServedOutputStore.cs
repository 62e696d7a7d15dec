using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Outputs;

/// <summary>
/// Generated files kept for download by <c>url</c> responses and job results: in memory, each for
/// <see cref="Hosting.FastAttnServerOptions.OutputTtl"/> on the server's <see cref="TimeProvider"/>, at most
/// <see cref="Hosting.FastAttnServerOptions.MaxStoredOutputs"/> (oldest dropped first). Ids are random (unguessable).
/// </summary>
public sealed class ServedOutputStore(IOptions<Hosting.FastAttnServerOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, StoredOutput> _files = new(StringComparer.Ordinal);

    /// <summary>Keeps <paramref name="bytes"/> and returns its file name (id and extension, e.g. <c>3f…9a.png</c>).</summary>
    public string Add(byte[] bytes, string contentType, string extension)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + extension;
        _files[name] = new StoredOutput(bytes, contentType, time.GetUtcNow() + options.Value.OutputTtl);
        Prune();
        return name;
    }

    /// <summary>The file named <paramref name="name"/>, or null when unknown or expired.</summary>
    public StoredOutput? Get(string name)
    {
        if (!_files.TryGetValue(name, out var file)) return null;
        if (file.ExpiresAt > time.GetUtcNow()) return file;
        _files.TryRemove(name, out _);
        return null;
    }

    /// <summary>Files kept now (expired ones included until pruned).</summary>
    public int Count => _files.Count;

    private void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (name, file) in _files)
            if (file.ExpiresAt <= now) _files.TryRemove(name, out _);
        int excess = _files.Count - Math.Max(1, options.Value.MaxStoredOutputs);
        if (excess <= 0) return;
        foreach (var (name, _) in _files.OrderBy(p => p.Value.ExpiresAt).Take(excess).ToArray()) _files.TryRemove(name, out _);
    }
}

/// <summary>A stored file: its bytes, content type and when it expires.</summary>
/// <param name="Bytes">The bytes.</param>
/// <param name="ContentType">image/png or image/gif.</param>
/// <param name="ExpiresAt">When it stops being served.</param>
public sealed record StoredOutput(byte[] Bytes, string ContentType, DateTimeOffset ExpiresAt);
