using FastAttn.Server.Endpoints;
using FastAttn.Server.Errors;
using FastAttn.Server.Metrics;
using FastAttn.Server.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Hosting;

/// <summary>
/// Builds the server: the services (<see cref="ServerServiceCollectionExtensions.AddFastAttnServer"/>), the listen address
/// (<c>ASPNETCORE_URLS</c>/<c>urls</c>, else <see cref="FastAttnServerOptions.DefaultUrl"/>, checked by the
/// <see cref="ListenAddressGuard"/>), the middleware and the routes. Program.cs runs it; tests start it on a free port.
/// </summary>
public static class FastAttnServerApp
{
    /// <summary>
    /// The server for <paramref name="args"/>; <paramref name="configure"/> (tests) adds configuration or services after the
    /// server's own. Throws <see cref="InsecureListenAddressException"/> for a non-loopback address without API keys.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.Services.AddFastAttnServer(builder.Configuration);
        configure?.Invoke(builder);
        var urls = ListenUrls(builder.Configuration);
        if (urls.Count == 0 && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(FastAttnServerOptions.DefaultUrl);
            urls = [FastAttnServerOptions.DefaultUrl];
        }
        var keys = builder.Configuration.GetSection(FastAttnServerOptions.SectionName + ":ApiKeys").Get<string[]>() ?? [];
        ListenAddressGuard.Check(urls, keys.Any(k => !string.IsNullOrWhiteSpace(k)));
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<FastAttnServerOptions>>((kestrel, server) =>
            kestrel.Limits.MaxRequestBodySize = server.Value.MaxBodyBytes);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.Services.GetRequiredService<MetricAggregator>();                                   // listens from the start
        var telemetry = app.Services.GetRequiredService<ServerTelemetry>();
        app.Use(telemetry.InvokeAsync);
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapOpenApi();
        app.MapImageEndpoints();
        app.MapVideoEndpoints();
        app.MapInfoEndpoints();
        app.MapFallback("/v1/{**rest}", (HttpContext context) =>
            throw new ApiException(StatusCodes.Status404NotFound, $"No route {context.Request.Method} {context.Request.Path}; see /openapi/v1.json.",
                ErrorTypes.InvalidRequest, null, "unknown_route"));
        return app;
    }

    /// <summary>The URLs configured by <c>urls</c> (ASPNETCORE_URLS, --urls) or <c>http_ports</c>/<c>https_ports</c>.</summary>
    public static IReadOnlyList<string> ListenUrls(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        static IEnumerable<string> Split(string? value) =>
            (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return Split(configuration["urls"])
            .Concat(Split(configuration["http_ports"]).Select(p => $"http://*:{p}"))
            .Concat(Split(configuration["https_ports"]).Select(p => $"https://*:{p}")).ToArray();
    }
}
