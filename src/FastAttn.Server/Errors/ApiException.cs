namespace FastAttn.Server.Errors;

/// <summary>
/// A request the server answers with an error status and an OpenAI-shaped body (<see cref="OpenAIError"/>); thrown by
/// endpoints, written by <see cref="ErrorWriter"/>.
/// </summary>
public sealed class ApiException : Exception
{
    /// <summary>Creates the error answer.</summary>
    public ApiException(int status, string message, string type = ErrorTypes.InvalidRequest, string? param = null, string? code = null,
        int? retryAfterSeconds = null, Exception? inner = null) : base(message, inner)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
        RetryAfterSeconds = retryAfterSeconds;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The OpenAI error type.</summary>
    public string Type { get; }

    /// <summary>The request field at fault.</summary>
    public string? Param { get; }

    /// <summary>A stable code.</summary>
    public string? Code { get; }

    /// <summary>Seconds for a <c>Retry-After</c> header (429, 503), or null.</summary>
    public int? RetryAfterSeconds { get; }

    /// <summary>The body of the answer.</summary>
    public OpenAIErrorResponse ToBody() => new(new OpenAIError(Message, Type, Param, Code));

    /// <summary>400: a bad field.</summary>
    public static ApiException BadRequest(string message, string? param = null, string? code = "invalid_value") =>
        new(StatusCodes.Status400BadRequest, message, ErrorTypes.InvalidRequest, param, code);

    /// <summary>404: an unknown model.</summary>
    public static ApiException ModelNotFound(string model, IEnumerable<string> known) =>
        new(StatusCodes.Status404NotFound, $"The model '{model}' does not exist. Models: {string.Join(", ", known)}.",
            ErrorTypes.InvalidRequest, "model", "model_not_found");

    /// <summary>404: an unknown job or file.</summary>
    public static ApiException NotFound(string what) =>
        new(StatusCodes.Status404NotFound, $"{what} was not found (it may have expired).", ErrorTypes.InvalidRequest, null, "not_found");

    /// <summary>413: a body or prompt over the limit.</summary>
    public static ApiException TooLarge(string message, string? param = null) =>
        new(StatusCodes.Status413PayloadTooLarge, message, ErrorTypes.InvalidRequest, param, "request_too_large");
}

/// <summary>OpenAI's error types.</summary>
public static class ErrorTypes
{
    /// <summary>The request is wrong (400, 404, 413).</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>No key or a wrong key (401).</summary>
    public const string Authentication = "authentication_error";

    /// <summary>Too many requests (429).</summary>
    public const string RateLimit = "rate_limit_error";

    /// <summary>The server failed or is going away (500, 503).</summary>
    public const string Server = "server_error";
}
