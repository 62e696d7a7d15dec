using System.Diagnostics.Metrics;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Plugin.Diagnostics;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Hosting;

/// <summary>The default <see cref="IFastAttnEngineFactory"/>: a <see cref="FastAttnEngineService"/> with telemetry around it.</summary>
internal sealed class FastAttnEngineFactory(ModelFamilyRegistry families, ILoggerFactory? loggers = null, ISharedPlanStore? sharedPlans = null,
    IMeterFactory? meters = null) : IFastAttnEngineFactory
{
    public IFastAttnEngine Create(FastAttnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var engine = new FastAttnEngineService(Microsoft.Extensions.Options.Options.Create(options), loggers, sharedPlans, families);
        return new TelemetryFastAttnEngine(engine, meters);
    }
}
