using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Attention.Costs;

/// <summary>
/// The cost model used for a device when a model was loaded without one (<see cref="Families.ModelLoadSettings.CostModel"/>
/// null): one per device (kind and index), made on first use by <see cref="Factory"/> — a <see cref="MeasuredCostModel"/>
/// with its disk cache by default, so a user who sets nothing still gets latency-aware plans. Nothing is measured until a
/// shape's costs are asked for.
/// </summary>
public static class SharedCostModels
{
    private static readonly ConcurrentDictionary<string, Lazy<IAttentionCostModel>> Models = new(StringComparer.Ordinal);
    private static Func<Device, IAttentionCostModel> _factory = device => new MeasuredCostModel(device);

    /// <summary>
    /// How the shared model of a device is made (default: <c>new MeasuredCostModel(device)</c>). A host may replace it
    /// before first use (e.g. to log, or to give fixed costs in tests); setting it forgets the models made so far.
    /// </summary>
    public static Func<Device, IAttentionCostModel> Factory
    {
        get => Volatile.Read(ref _factory);
        set
        {
            Volatile.Write(ref _factory, value ?? throw new ArgumentNullException(nameof(value)));
            Models.Clear();
        }
    }

    /// <summary>The shared cost model of <paramref name="device"/> (null: CPU).</summary>
    public static IAttentionCostModel For(Device? device)
    {
        device ??= CPU;
        var factory = Factory;
        string name = $"{device.type}:{Math.Max(0, device.index)}";
        return Models.GetOrAdd(name, _ => new Lazy<IAttentionCostModel>(() => factory(device))).Value;
    }

    /// <summary>"cuda" for a CUDA device, else "cpu": the device kind a latency-aware plan is keyed by.</summary>
    public static string KindOf(Device? device) => device?.type == DeviceType.CUDA ? "cuda" : "cpu";
}
