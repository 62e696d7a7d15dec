using FastAttn.Server.Errors;
using FastAttn.Server.Hosting;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Idempotency;

/// <summary>
/// Remembers the work started under each <c>Idempotency-Key</c> (per route and client): a repeated key gets the first
/// request's work — its result, or the same running task while it runs — never a second generation. Work that fails
/// or is cancelled is forgotten (a retry runs again). Keys expire after <see cref="FastAttnServerOptions.IdempotencyTtl"/>
/// (the server's <see cref="TimeProvider"/>); at most <see cref="FastAttnServerOptions.MaxIdempotencyKeys"/> are kept.
/// </summary>
public sealed class IdempotencyStore(IOptions<FastAttnServerOptions> options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The header's name.</summary>
    public const string Header = "Idempotency-Key";

    /// <summary>Raised when a repeated key is answered with the first request's work (tests wait on it).</summary>
    public event Action<string>? Replayed;

    /// <summary>Keys remembered now.</summary>
    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>
    /// The work remembered under <paramref name="key"/> in <paramref name="scope"/>, or the one <paramref name="start"/>
    /// makes now (then remembered). A key reused with a different request (<paramref name="fingerprint"/>) is a 400.
    /// </summary>
    public T GetOrStart<T>(string scope, string key, string fingerprint, Func<T> start, Func<T, Task> completion) where T : class
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(completion);
        if (key.Length > 255) throw ApiException.BadRequest("The Idempotency-Key is longer than 255 characters.", Header);
        var id = scope + "\n" + key;
        Entry entry;
        Entry? replay = null;
        lock (_lock)
        {
            Prune();
            if (_entries.TryGetValue(id, out var known))
            {
                if (known.Fingerprint != fingerprint)
                    throw ApiException.BadRequest("This Idempotency-Key was used with a different request; use a new key.", Header,
                        "idempotency_key_reused");
                replay = known;
            }
            entry = replay ?? new Entry(start(), fingerprint, time.GetUtcNow() + options.Value.IdempotencyTtl);
            if (replay is null) _entries[id] = entry;
        }
        if (replay is not null)
        {
            Replayed?.Invoke(key);
            return (T)replay.Work;
        }
        completion((T)entry.Work).ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) return;
            lock (_lock) if (_entries.TryGetValue(id, out var e) && ReferenceEquals(e, entry)) _entries.Remove(id);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return (T)entry.Work;
    }

    private void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (id, e) in _entries.Where(p => p.Value.ExpiresAt <= now).ToArray()) _entries.Remove(id);
        int excess = _entries.Count - Math.Max(0, options.Value.MaxIdempotencyKeys - 1);
        if (excess > 0)
            foreach (var (id, _) in _entries.OrderBy(p => p.Value.ExpiresAt).Take(excess).ToArray()) _entries.Remove(id);
    }

    private sealed record Entry(object Work, string Fingerprint, DateTimeOffset ExpiresAt);
}
