using System.Collections.Concurrent;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Finds the DiTFastAttn plan of a prepared generation, for every family and every caller (CLI, engine service, cluster):
/// the request's own plan; else, for its preset or δ, the user's plan folder, then the model's shipped plans, then an
/// optional <see cref="ISharedPlanStore"/>; then, for a measured-order key, the same plan searched on the other device kind
/// (cpu ↔ cuda), used with a warning (logged and on <see cref="ResolvedPlan.Warning"/>); then a search when allowed (saved
/// to the user folder). Concurrent requests for one key share one lookup and one search. A plan folder that cannot be
/// written is logged and the plan still used. A request's preset decides the search scope (B1..B6: block, D1..D6: attention).
/// </summary>
public sealed class PlanResolver
{
    private readonly PlanResolverOptions _options;
    private readonly ISharedPlanStore? _shared;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<PlanKey, Lazy<Task<ResolvedPlan?>>> _inFlight = new();
    private readonly CancellationToken _lifetime;
    private int _searches;

    /// <summary>Creates a resolver.</summary>
    /// <param name="options">Folders and search policy.</param>
    /// <param name="shared">An optional store shared with other engines.</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="lifetime">
    /// Cancels lookups and searches in flight (the host's shutdown, or the CLI's Ctrl-C). One caller giving up does not
    /// cancel a search that others may be waiting for.
    /// </param>
    public PlanResolver(PlanResolverOptions? options = null, ISharedPlanStore? shared = null, ILogger<PlanResolver>? logger = null,
        CancellationToken lifetime = default)
    {
        _lifetime = lifetime;
        _options = options ?? new PlanResolverOptions();
        _shared = shared;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Plan searches this resolver ran itself.</summary>
    public int Searches => Volatile.Read(ref _searches);

    /// <summary>
    /// The key the plan of <paramref name="generation"/> at δ = <paramref name="threshold"/> has under this resolver's search
    /// settings.
    /// </summary>
    public PlanKey KeyFor(PreparedGeneration generation, double threshold, PlanSearchSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(generation);
        return generation.PlanKey(threshold, Scoped(settings ?? _options.Search, generation.Request.Preset));
    }

    /// <summary>
    /// The plan for <paramref name="generation"/> on <paramref name="model"/>: null for raw (δ = 0) and when none is found and
    /// searching is off. <paramref name="search"/> overrides <see cref="PlanResolverOptions.SearchOnDemand"/> for this call;
    /// <paramref name="settings"/> the search settings. A corrupt plan file is searched again (with a warning) when searching is
    /// allowed, else a <see cref="PlanFormatException"/>.
    /// </summary>
    public async Task<ResolvedPlan?> ResolveAsync(IGenerativeModel model, PreparedGeneration generation, bool? search = null,
        PlanSearchSettings? settings = null, IProgress<PlanSearchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(generation);
        if (generation.Request.Plan is CompressionPlan given) return new ResolvedPlan(given, null, PlanSource.Request);
        double delta = generation.Request.Delta;
        if (delta <= 0) return null;
        settings = Scoped(settings ?? _options.Search, generation.Request.Preset);   // a B preset searches the block scope
        var key = generation.PlanKey(delta, settings);
        bool allowSearch = search ?? _options.SearchOnDemand;
        var lazy = _inFlight.GetOrAdd(key, k => new Lazy<Task<ResolvedPlan?>>(() => Task.Run(() =>
            FindOrSearchAsync(model, generation, k, delta, settings, allowSearch, progress))));
        try
        {
            var found = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (found is null) _inFlight.TryRemove(new KeyValuePair<PlanKey, Lazy<Task<ResolvedPlan?>>>(key, lazy));   // a plan added later is found
            return found;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _inFlight.TryRemove(new KeyValuePair<PlanKey, Lazy<Task<ResolvedPlan?>>>(key, lazy));
            throw;
        }
    }

    /// <summary>The folders looked in for <paramref name="model"/>'s plans: the user's, then the shipped ones.</summary>
    public IReadOnlyList<string> FoldersFor(IGenerativeModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [_options.UserFolder, .. model.PlanFolders];
    }

    private async Task<ResolvedPlan?> FindOrSearchAsync(IGenerativeModel model, PreparedGeneration generation, PlanKey key, double delta,
        PlanSearchSettings? settings, bool allowSearch, IProgress<PlanSearchProgress>? progress)
    {
        if (Lookup(() => PlanLookup.Find(key, FoldersFor(model)), allowSearch) is var (found, path))
            return new ResolvedPlan(found, path, PlanSource.Folder);
        if (_shared is not null && await _shared.FindAsync(key, _lifetime).ConfigureAwait(false) is CompressionPlan shared)
            return new ResolvedPlan(shared, TrySave(shared), PlanSource.Shared);
        if (Lookup(() => PlanLookup.FindForOtherDevice(key, FoldersFor(model)), allowSearch) is var (other, otherPath, warning))
        {
            _logger.LogWarning("{Warning}", warning);
            return new ResolvedPlan(other, otherPath, PlanSource.Folder) { Warning = warning };
        }
        if (!allowSearch) return null;
        CompressionPlan Search(CancellationToken ct)
        {
            _logger.LogInformation("Searching the DiTFastAttn plan {Plan} for {Model}", key.FileName, model.Source);
            Interlocked.Increment(ref _searches);
            return generation.SearchPlan(delta, settings, progress, ct);
        }
        var plan = _shared is null
            ? await Task.Factory.StartNew(() => Search(_lifetime), _lifetime, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .ConfigureAwait(false)
            : await _shared.GetOrSearchAsync(key, Search, _lifetime).ConfigureAwait(false);
        return new ResolvedPlan(plan, TrySave(plan), PlanSource.Searched);
    }

    /// <summary>
    /// A folder lookup; a corrupt plan file (truncated, garbage) is a cache entry to replace when searching is allowed — a
    /// warning, and the search that follows overwrites it — and a <see cref="PlanFormatException"/> naming it otherwise.
    /// </summary>
    private T? Lookup<T>(Func<T?> find, bool allowSearch) where T : struct
    {
        try
        {
            return find();
        }
        catch (PlanFormatException e) when (allowSearch)
        {
            _logger.LogWarning(e, "Ignoring a corrupt plan file ({Reason}); searching the plan again", e.Message);
            return null;
        }
    }

    /// <summary><paramref name="settings"/> with the scope <paramref name="preset"/> means (null settings stay null when it means none).</summary>
    private static PlanSearchSettings? Scoped(PlanSearchSettings? settings, string? preset) =>
        CompressionPresets.ScopeOf(preset) is null ? settings : (settings ?? new PlanSearchSettings()).ForPreset(preset);

    private string? TrySave(CompressionPlan plan)
    {
        try
        {
            return new PlanDirectory(_options.UserFolder).Save(plan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Could not save the plan {Plan} in {Folder}; it is used without being kept",
                plan.Key.FileName, _options.UserFolder);
            return null;
        }
    }
}
