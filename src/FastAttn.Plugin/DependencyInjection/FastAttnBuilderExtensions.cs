using FastAttn.Plugin.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace FastAttn.Plugin.DependencyInjection;

/// <summary>Decorators for the <see cref="FastAttnBuilder"/> pipeline.</summary>
public static class FastAttnBuilderExtensions
{
    /// <summary>
    /// Records metrics and traces of every call (<see cref="TelemetryFastAttnEngine"/>, meter and activity source
    /// <c>FastAttn</c>). <c>AddFastAttn</c> adds it once; call it on builders made otherwise.
    /// </summary>
    public static FastAttnBuilder UseTelemetry(this FastAttnBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, sp) => new TelemetryFastAttnEngine(inner, sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
    }
}
