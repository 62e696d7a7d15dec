using FastAttn.Plugin.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Starts and stops the local engine with the host, when the application's pipeline ends in it (not when
/// <see cref="FastAttnBuilder.UseEngine"/> put another engine there, e.g. a cluster client); decided at start, so the
/// order of registrations does not matter.
/// </summary>
internal sealed class LocalEngineHost(IServiceProvider services, FastAttnBuilder builder) : IHostedService
{
    private FastAttnEngineService? _engine;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!builder.UsesLocalEngine) return Task.CompletedTask;
        _engine = services.GetRequiredService<FastAttnEngineService>();
        return _engine.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _engine?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
