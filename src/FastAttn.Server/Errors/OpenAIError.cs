using System.Text.Json.Serialization;

namespace FastAttn.Server.Errors;

/// <summary>The body of every error answer, shaped as OpenAI's: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
/// <param name="Error">The error.</param>
public sealed record OpenAIErrorResponse([property: JsonPropertyName("error")] OpenAIError Error);

/// <summary>One error, as OpenAI's API writes it.</summary>
/// <param name="Message">What went wrong, written so that a person or an LLM can correct the request.</param>
/// <param name="Type">The kind: <c>invalid_request_error</c>, <c>authentication_error</c>, <c>rate_limit_error</c>, <c>server_error</c>.</param>
/// <param name="Param">The request field at fault, or null.</param>
/// <param name="Code">A stable code (e.g. <c>model_not_found</c>, <c>queue_full</c>), or null.</param>
public sealed record OpenAIError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);
