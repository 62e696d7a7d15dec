using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Errors;

/// <summary>
/// Writes every error as an OpenAI-shaped JSON body (ASP.NET Core's <see cref="IExceptionHandler"/>), with
/// <c>Retry-After</c> on 429 and 503; a client that went away gets nothing.
/// </summary>
public sealed class ErrorWriter(IOptions<Hosting.FastAttnServerOptions> settings, ILogger<ErrorWriter> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested) return true;
        var error = ErrorMapping.ToApiException(exception, settings.Value.RetryAfterSeconds);
        if (error.Status == StatusCodes.Status500InternalServerError) logger.LogError(exception, "Request {Path} failed", httpContext.Request.Path);
        await WriteAsync(httpContext, error, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Writes <paramref name="error"/> as the answer, unless the answer has started.</summary>
    public static async Task WriteAsync(HttpContext context, ApiException error, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = error.Status;
        if (error.RetryAfterSeconds is int seconds)
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (error.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsJsonAsync(error.ToBody(), ServerJson.Options, cancellationToken).ConfigureAwait(false);
    }
}
