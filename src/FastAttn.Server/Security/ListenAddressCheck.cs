using FastAttn.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Security;

/// <summary>
/// After the web server started, checks the addresses it really bound (Kestrel endpoints configured anywhere) with the
/// <see cref="ListenAddressGuard"/>: a non-loopback one without API keys stops the start with
/// <see cref="InsecureListenAddressException"/>.
/// </summary>
public sealed class ListenAddressCheck(IServer server, IOptions<FastAttnServerOptions> options) : IHostedLifecycleService
{
    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        ListenAddressGuard.Check(addresses, options.Value.ApiKeys.Any(k => !string.IsNullOrWhiteSpace(k)));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
