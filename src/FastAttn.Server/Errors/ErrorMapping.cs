using System.Text.Json;
using FastAttn.Plugin.Hosting;

namespace FastAttn.Server.Errors;

/// <summary>
/// Turns what a request threw into the error answer: the plugin's typed exceptions (a request the engine refuses → 400,
/// a full queue → 429), a body too large or malformed (413, 400), shutdown and work the drain cancelled (503); anything
/// else is a 500 whose message hides the details (they are logged).
/// </summary>
public static class ErrorMapping
{
    /// <summary>The error answer for <paramref name="e"/>; <paramref name="retryAfterSeconds"/> goes with 429 and 503.</summary>
    public static ApiException ToApiException(Exception e, int retryAfterSeconds) => e switch
    {
        ApiException api => api,
        FastAttnRequestException r => ApiException.BadRequest(r.Message, ParamName(r.Parameter)),
        FastAttnQueueFullException q => new ApiException(StatusCodes.Status429TooManyRequests, q.Message, ErrorTypes.RateLimit, null,
            "queue_full", retryAfterSeconds),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } b =>
            ApiException.TooLarge($"The request body is too large: {b.Message}"),
        BadHttpRequestException b => ApiException.BadRequest($"The request could not be read: {b.Message}", null, "invalid_request"),
        JsonException j => ApiException.BadRequest($"The body is not valid JSON for this route: {j.Message}", JsonParam(j), "invalid_json"),
        ObjectDisposedException or ServerDrainingException => Draining(retryAfterSeconds),
        OperationCanceledException => Draining(retryAfterSeconds),                              // not the client's: the drain gave up on it
        FastAttnModelLoadException m => new ApiException(StatusCodes.Status500InternalServerError, m.Message, ErrorTypes.Server, "model",
            "model_load_failed"),
        _ => new ApiException(StatusCodes.Status500InternalServerError, "The server failed to generate; see its log.", ErrorTypes.Server,
            null, "internal_error"),
    };

    /// <summary>503: the server is shutting down.</summary>
    public static ApiException Draining(int retryAfterSeconds) => new(StatusCodes.Status503ServiceUnavailable,
        "The server is shutting down and accepts no new work; retry on another instance or later.", ErrorTypes.Server, null,
        "server_draining", retryAfterSeconds);

    /// <summary>The plugin's field names as the HTTP API names them (count → n, negative prompt → negative_prompt).</summary>
    private static string? ParamName(string? param) => param switch
    {
        "count" => "n",
        "negativePrompt" => "negative_prompt",
        "guidance" => "guidance_scale",
        _ => param,
    };

    private static string? JsonParam(JsonException j) => j.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
}

/// <summary>Thrown for new work that arrives while the server drains; answered with 503.</summary>
public sealed class ServerDrainingException() : InvalidOperationException("The server is shutting down.");
