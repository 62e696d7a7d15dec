namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Creates local engines for given options, with the application's model families, loggers, shared plan store and
/// telemetry: what a host running one engine per device (a cluster silo) uses instead of naming the engine's class. The
/// engine it returns may be started and stopped through <c>GetService(typeof(IHostedService))</c> and is disposable.
/// </summary>
public interface IFastAttnEngineFactory
{
    /// <summary>A new engine serving <paramref name="options"/>.</summary>
    IFastAttnEngine Create(Options.FastAttnOptions options);
}
