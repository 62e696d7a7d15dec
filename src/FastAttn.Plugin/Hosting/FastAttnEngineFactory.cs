using System.Diagnostics.Metrics;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Plugin.Diagnostics;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// The default <see cref="IFastAttnEngineFactory"/>: a <see cref="FastAttnEngineService"/> with telemetry around it, with the
/// application's cost model and time provider (a cluster host's engines batch as the options say).
/// </summary>
internal sealed class FastAttnEngineFactory(ModelFamilyRegistry families, ILoggerFactory? loggers = null, ISharedPlanStore? sharedPlans = null,
    IMeterFactory? meters = null, IAttentionCostModel? costModel = null, TimeProvider? time = null) : IFastAttnEngineFactory
{
    public IFastAttnEngine Create(FastAttnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var engine = new FastAttnEngineService(Microsoft.Extensions.Options.Options.Create(options), loggers, sharedPlans, families,
            costModel, meters, time);
        return new TelemetryFastAttnEngine(engine, meters);
    }
}
