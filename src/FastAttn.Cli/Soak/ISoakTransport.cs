using FastAttn.Plugin.Hosting;

namespace FastAttn.Cli.Soak;

/// <summary>
/// One way a soak client reaches the engine: in process (the hosted engine), the Semantic Kernel functions, the
/// Microsoft.Extensions.AI <c>IImageGenerator</c>, the cluster — and, once the HTTP server exists, <c>http</c> (<c>--url</c>):
/// an implementation that posts the call and maps the status codes to the typed outcomes.
/// </summary>
internal interface ISoakTransport
{
    /// <summary>The name in the report (engine, kernel, imagegenerator, cluster, http).</summary>
    string Name { get; }

    /// <summary>Whether this transport can send <paramref name="call"/> (e.g. only the cluster has idempotency keys).</summary>
    bool Supports(SoakCall call);

    /// <summary>Sends the call; typed failures are thrown as they would reach a caller of this transport.</summary>
    Task<SoakAnswer> SendAsync(SoakCall call, CancellationToken cancellationToken);
}

/// <summary>The exceptions a caller can act on: the soak's "failed typed".</summary>
internal static class SoakErrors
{
    /// <summary>Whether <paramref name="e"/> is a typed refusal or failure.</summary>
    public static bool IsTyped(Exception e) => e is FastAttnRequestException or FastAttnQueueFullException or FastAttnModelLoadException
        or FastAttnOutputException or SoakRefusedException or Cluster.Client.FastAttnJobFailedException
        or Engine.Compression.PlanFormatException or ArgumentException;
}
