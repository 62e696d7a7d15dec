using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace FastAttn.Engine.Attention.Costs;

/// <summary>
/// Costs measured once per shape on this device and cached: in memory, and on disk as one JSON file per shape under
/// <see cref="Directory"/>, keyed by device, thread count, shape and library versions (<see cref="CostEnvironment"/>).
/// Files are written atomically; a corrupt, unreadable or mismatched file is measured again with a warning, never an exception.
/// </summary>
public sealed class MeasuredCostModel : IAttentionCostModel
{
    /// <summary>The environment variable that overrides the cache folder.</summary>
    public const string DirectoryVariable = "FASTATTN_COST_DIR";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly IAttentionCostMeasurer _measurer;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<AttentionShape, AttentionCosts> _memory = new();
    private readonly Lock _gate = new();

    /// <summary>Measures on <paramref name="device"/> with <see cref="AttentionCostMeasurer"/>.</summary>
    /// <param name="device">The device (default CPU).</param>
    /// <param name="directory">The cache folder (default: <see cref="DefaultDirectory"/>).</param>
    /// <param name="logger">Where cache problems are reported.</param>
    public MeasuredCostModel(Device? device = null, string? directory = null, ILogger? logger = null)
        : this(new AttentionCostMeasurer(device), CostEnvironment.Current(device), directory, logger)
    {
    }

    /// <summary>Measures with <paramref name="measurer"/> in <paramref name="environment"/> (tests inject both).</summary>
    public MeasuredCostModel(IAttentionCostMeasurer measurer, CostEnvironment environment, string? directory = null, ILogger? logger = null)
    {
        _measurer = measurer ?? throw new ArgumentNullException(nameof(measurer));
        Environment = environment ?? throw new ArgumentNullException(nameof(environment));
        Directory = directory ?? DefaultDirectory();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The environment the costs are keyed by.</summary>
    public CostEnvironment Environment { get; }

    /// <summary>The cache folder.</summary>
    public string Directory { get; }

    /// <summary>$FASTATTN_COST_DIR, else ~/.cache/fastattn/costs.</summary>
    public static string DefaultDirectory() =>
        System.Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir
            ? dir
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache", "fastattn", "costs");

    /// <summary>The cache file of <paramref name="shape"/>.</summary>
    public string PathFor(AttentionShape shape) => Path.Combine(Directory, Environment.FileNameFor(shape));

    /// <inheritdoc />
    public AttentionCosts CostsFor(AttentionShape shape, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (_memory.TryGetValue(shape, out var known)) return known;
        lock (_gate)
        {
            if (_memory.TryGetValue(shape, out known)) return known;
            var costs = Read(shape) ?? MeasureAndWrite(shape, cancellationToken);
            _memory[shape] = costs;
            return costs;
        }
    }

    private AttentionCosts? Read(AttentionShape shape)
    {
        var path = PathFor(shape);
        if (!File.Exists(path)) return null;
        try
        {
            var file = JsonSerializer.Deserialize<CostFile>(File.ReadAllText(path), Json);
            if (file?.Costs is null || file.Key != Environment.KeyFor(shape) || !file.Costs.IsValid())
            {
                _logger.LogWarning("Attention cost cache {Path} is invalid or for another key; measuring again.", path);
                return null;
            }
            return file.Costs with { MeasuredSeconds = 0 };
        }
        catch (Exception e) when (e is not OperationCanceledException)                       // any bad file: measure again
        {
            _logger.LogWarning(e, "Attention cost cache {Path} could not be read ({Reason}); measuring again.", path, e.Message);
            return null;
        }
    }

    private AttentionCosts MeasureAndWrite(AttentionShape shape, CancellationToken cancellationToken)
    {
        var costs = _measurer.Measure(shape, cancellationToken);
        _logger.LogInformation("Measured attention costs for {Shape} on {Device} ({Threads} threads) in {Seconds:F1} s.", shape,
            Environment.DeviceName, Environment.Threads, costs.MeasuredSeconds);
        var path = PathFor(shape);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(temp, JsonSerializer.Serialize(new CostFile(Environment.KeyFor(shape), Environment, shape, costs), Json));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Attention cost cache {Path} could not be written; the costs stay in memory only.", path);
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return costs;
    }

    /// <summary>The cache file's content.</summary>
    private sealed record CostFile(string Key, CostEnvironment Environment, AttentionShape Shape, AttentionCosts Costs);
}
