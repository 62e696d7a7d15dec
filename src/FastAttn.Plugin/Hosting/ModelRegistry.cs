using System.Collections.Concurrent;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Runtime;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Loads each model on its first request — once, however many requests arrive together — and keeps it. A failed load
/// is reported to every waiting request and retried by the next one; other models are unaffected.
/// </summary>
internal sealed class ModelRegistry(FastAttnOptions options, ILoggerFactory loggers) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ServedModel>>> _models = new(StringComparer.OrdinalIgnoreCase);
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

    /// <summary>The canonical name of <paramref name="name"/> (null → default); unknown names are a <see cref="FastAttnRequestException"/>.</summary>
    public string Resolve(string? name)
    {
        name = string.IsNullOrWhiteSpace(name) ? options.DefaultModel : name.Trim();
        var known = Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase));
        return known ?? throw new FastAttnRequestException($"Unknown model '{name}'. Available models: {string.Join(", ", Names)}.", "model");
    }

    public Task<ServedModel> GetAsync(string name, CancellationToken cancellationToken)
    {
        name = Resolve(name);
        var lazy = _models.GetOrAdd(name, n => new Lazy<Task<ServedModel>>(() => Task.Factory.StartNew(() => Load(n), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        return AwaitAsync(name, lazy, cancellationToken);
    }

    private async Task<ServedModel> AwaitAsync(string name, Lazy<Task<ServedModel>> lazy, CancellationToken cancellationToken)
    {
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (FastAttnModelLoadException)
        {
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<ServedModel>>>(name, lazy));          // the next request retries
            throw;
        }
    }

    private ServedModel Load(string name)
    {
        options.Models.TryGetValue(name, out var m);
        var path = m?.Path ?? name;
        try
        {
            var device = DeviceSelector.Resolve(DeviceSelector.Parse(options.Device));
            _logger.LogInformation("Loading FastAttn model {Model} from {Path}", name, path);
            var kind = m?.Kind?.Trim().ToLowerInvariant() ?? "auto";
            var encoderDType = m?.EncoderDType?.Trim().ToLowerInvariant() == "fp32" ? TorchSharp.torch.ScalarType.Float32 : TorchSharp.torch.ScalarType.BFloat16;
            if (kind == "opensora" || (kind == "auto" && OpenSoraPipelineFolder.IsOpenSoraFolder(path)))
            {
                var video = OpenSoraPipelineFolder.Load(path, device, DeviceSelector.DefaultDType(device), encoderDType, loggers);
                return Served(name, () => ServedOpenSora.Create(name, path, video, m), video);
            }
            if (kind == "pixart" || (kind == "auto" && PixArtPipelineFolder.IsPixArtFolder(path)))
            {
                var pipeline = PixArtPipelineFolder.Load(path, device, DeviceSelector.DefaultDType(device), encoderDType, loggers);
                return Served(name, () => ServedPixArt.Create(name, path, pipeline, m), pipeline);
            }
            var loaded = DiTModelFolder.Load(path, m?.Vae, new DiTLoadOptions { Device = device, DType = DeviceSelector.DefaultDType(device) }, loggers);
            return Served(name, () => ServedDiT.Create(name, loaded, m), loaded);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "FastAttn model {Model} failed to load from {Path}", name, path);
            _failures[name] = e.Message;
            throw new FastAttnModelLoadException(name, path, e);
        }
    }

    /// <summary>Wraps a loaded model, disposing it when wrapping fails.</summary>
    private ServedModel Served(string name, Func<ServedModel> create, IDisposable loaded)
    {
        try
        {
            var served = create();
            _failures.TryRemove(name, out _);
            _loads.AddOrUpdate(name, 1, (_, n) => n + 1);
            return served;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _models.Values)
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) lazy.Value.Result.Dispose();
        _models.Clear();
    }
}
