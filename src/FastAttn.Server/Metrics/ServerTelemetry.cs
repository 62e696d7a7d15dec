using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FastAttn.Server.Metrics;

/// <summary>The server's own instruments (meter <c>FastAttn.Server</c>): requests by route and status, and their duration.</summary>
public sealed class ServerTelemetry
{
    /// <summary>The meter's name.</summary>
    public const string Name = "FastAttn.Server";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments on a meter of <paramref name="meterFactory"/>.</summary>
    public ServerTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(Name);
        _requests = meter.CreateCounter<long>("fastattn.server.requests", "{request}", "HTTP requests answered, by route and status.");
        _duration = meter.CreateHistogram<double>("fastattn.server.request.duration", "s", "Time to answer an HTTP request.");
    }

    /// <summary>Middleware that records each request of the API (<c>/v1</c>).</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        long started = Stopwatch.GetTimestamp();
        try { await next(context).ConfigureAwait(false); }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var tags = new TagList { { "route", route }, { "method", context.Request.Method }, { "status", context.Response.StatusCode } };
            _requests.Add(1, tags);
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }
}
