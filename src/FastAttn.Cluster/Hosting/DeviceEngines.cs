using FastAttn.Cluster.Options;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Hosting;

/// <summary>
/// This host's engines, one per configured device (<see cref="FastAttnClusterOptions.Devices"/>), each with its own queue
/// and models and the cluster's shared plans, made by the <see cref="IFastAttnEngineFactory"/>. Started and stopped with the host.
/// </summary>
public sealed class DeviceEngines : IHostedService, IDisposable
{
    private readonly Dictionary<string, DeviceSlot> _engines = new(StringComparer.Ordinal);

    /// <summary>Creates an engine for each device.</summary>
    public DeviceEngines(IOptions<FastAttnOptions> engine, IOptions<FastAttnClusterOptions> cluster, IFastAttnEngineFactory engines)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(engines);
        foreach (var device in cluster.Value.DeviceList)
        {
            if (device.Contains('/', StringComparison.Ordinal) || string.IsNullOrWhiteSpace(device))
                throw new OptionsValidationException(FastAttnClusterOptions.SectionName, typeof(FastAttnClusterOptions),
                    [$"Device '{device}' is not a device name (cpu, cuda, cuda:1, auto)."]);
            _engines[device] = new DeviceSlot(device, engines.Create(engine.Value.ForDevice(device)));
        }
    }

    /// <summary>The devices.</summary>
    public IReadOnlyCollection<string> Devices => _engines.Keys;

    /// <summary>The engine of <paramref name="device"/>, or null when this host has no such device.</summary>
    public IFastAttnEngine? EngineOf(string device) => _engines.GetValueOrDefault(device)?.Engine;

    /// <summary>The device's engine and jobs.</summary>
    internal DeviceSlot? Get(string device) => _engines.GetValueOrDefault(device);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.WhenAll(Hosted().Select(e => e.StartAsync(cancellationToken)));

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.WhenAll(Hosted().Select(e => e.StopAsync(cancellationToken)));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var slot in _engines.Values) (slot.Engine as IDisposable)?.Dispose();
    }

    private IEnumerable<IHostedService> Hosted() => _engines.Values.Select(e => e.Engine.GetService(typeof(IHostedService))).OfType<IHostedService>();
}
