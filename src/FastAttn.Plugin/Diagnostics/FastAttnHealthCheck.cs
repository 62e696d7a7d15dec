using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FastAttn.Plugin.Diagnostics;

/// <summary>
/// Health of the engine: healthy when the queue has room (degraded at ≥ 80% full or when a model failed to load), with
/// the loaded models, failed models and queue depth as data.
/// </summary>
public sealed class FastAttnHealthCheck(IFastAttnEngine engine) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var s = engine.Status;
        var data = new Dictionary<string, object>
        {
            ["queueDepth"] = s.QueueDepth,
            ["queueCapacity"] = s.QueueCapacity,
            ["running"] = s.Running,
            ["loadedModels"] = s.LoadedModels.ToArray(),
            ["failedModels"] = s.FailedModels.ToDictionary(p => p.Key, p => p.Value),
        };
        if (s.QueueDepth >= Math.Max(1, (int)Math.Ceiling(0.8 * s.QueueCapacity)))
            return Task.FromResult(HealthCheckResult.Degraded($"The FastAttn queue is {s.QueueDepth}/{s.QueueCapacity} full.", data: data));
        if (s.FailedModels.Count > 0)
            return Task.FromResult(HealthCheckResult.Degraded($"FastAttn models failed to load: " +
                $"{string.Join("; ", s.FailedModels.Select(p => $"{p.Key}: {p.Value}"))}", data: data));
        var loaded = s.LoadedModels.Count == 0 ? "no model loaded yet (models load on first use)"
            : $"models loaded: {string.Join(", ", s.LoadedModels)}";
        return Task.FromResult(HealthCheckResult.Healthy($"FastAttn ready; {loaded}; queue {s.QueueDepth}/{s.QueueCapacity}.", data));
    }
}
