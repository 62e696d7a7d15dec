using System.Collections.Concurrent;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Families;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Runtime;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Loads each model on its first request through the <see cref="ModelFamilyRegistry"/> — once, however many requests
/// arrive together — and keeps it. A failed load is reported to every waiting request and retried by the next one;
/// other models are unaffected. Models get the application's <see cref="IAttentionCostModel"/> when it registered one
/// (null: the Engine measures its own).
/// </summary>
internal sealed class ModelRegistry(FastAttnOptions options, ModelFamilyRegistry families, ILoggerFactory loggers,
    IAttentionCostModel? costModel = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<IGenerativeModel>>> _models = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _loads = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger _logger = loggers.CreateLogger<ModelRegistry>();

    public IReadOnlyList<string> Names =>
        options.Models.Keys.Concat(BuiltInModels.Names).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToArray();

    public IReadOnlyList<string> Loaded =>
        _models.Where(p => p.Value.IsValueCreated && p.Value.Value.IsCompletedSuccessfully).Select(p => p.Key).Order().ToArray();

    public IReadOnlyDictionary<string, string> Failures => _failures;

    /// <summary>Successful loads by model.</summary>
    public IReadOnlyDictionary<string, int> Loads => new Dictionary<string, int>(_loads, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The canonical name of <paramref name="name"/> (null → default); unknown names are a <see cref="FastAttnRequestException"/>.
    /// </summary>
    public string Resolve(string? name)
    {
        name = string.IsNullOrWhiteSpace(name) ? options.DefaultModel : name.Trim();
        var known = Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase));
        return known ?? throw new FastAttnRequestException($"Unknown model '{name}'. Available models: {string.Join(", ", Names)}.", "model");
    }

    public Task<IGenerativeModel> GetAsync(string name, CancellationToken cancellationToken)
    {
        name = Resolve(name);
        var lazy = _models.GetOrAdd(name, n => new Lazy<Task<IGenerativeModel>>(() => Task.Factory.StartNew(() => Load(n), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        return AwaitAsync(name, lazy, cancellationToken);
    }

    private async Task<IGenerativeModel> AwaitAsync(string name, Lazy<Task<IGenerativeModel>> lazy, CancellationToken cancellationToken)
    {
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (FastAttnModelLoadException)
        {
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<IGenerativeModel>>>(name, lazy));          // the next request retries
            throw;
        }
    }

    private IGenerativeModel Load(string name)
    {
        options.Models.TryGetValue(name, out var m);
        var path = m?.Path ?? name;
        try
        {
            _logger.LogInformation("Loading FastAttn model {Model} from {Path}", name, path);
            var model = families.Load(path, SettingsFor(m), m?.Kind);
            _failures.TryRemove(name, out _);
            _loads.AddOrUpdate(name, 1, (_, n) => n + 1);
            return model;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "FastAttn model {Model} failed to load from {Path}", name, path);
            _failures[name] = e.Message;
            throw new FastAttnModelLoadException(name, path, e);
        }
    }

    /// <summary>The load settings of a configured model: the engine's device, and the entry's overrides.</summary>
    private ModelLoadSettings SettingsFor(FastAttnModelOptions? m)
    {
        var device = DeviceSelector.Resolve(DeviceSelector.Parse(options.Device));
        return new ModelLoadSettings
        {
            Device = device,
            DType = DeviceSelector.DefaultDType(device),
            EncoderDType = m?.EncoderDType?.Trim().ToLowerInvariant() == "fp32" ? TorchSharp.torch.ScalarType.Float32
                : TorchSharp.torch.ScalarType.BFloat16,
            Vae = m?.Vae,
            Steps = m?.Steps,
            Sampler = m?.Scheduler,
            GuidanceScale = m?.GuidanceScale,
            Resolutions = m?.Resolutions.ToArray() ?? [],
            Loggers = loggers,
            CostModel = costModel,
        };
    }

    public void Dispose()
    {
        foreach (var lazy in _models.Values)
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) lazy.Value.Result.Dispose();
        _models.Clear();
    }
}
