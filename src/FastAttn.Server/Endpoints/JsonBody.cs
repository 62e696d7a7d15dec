using System.Security.Cryptography;
using System.Text.Json;
using FastAttn.Server.Errors;

namespace FastAttn.Server.Endpoints;

/// <summary>Reads a JSON request body within the size limit (413 beyond it), with a fingerprint for <c>Idempotency-Key</c> checks.</summary>
public static class JsonBody
{
    /// <summary>The body as <typeparamref name="T"/> and the SHA-256 of its bytes; 400 for JSON that does not fit.</summary>
    public static async Task<(T? Body, string Fingerprint)> ReadAsync<T>(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        if (request.ContentType is { } type && !type.Contains("json", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadRequest($"Send the body as application/json (got {type}).", null, "invalid_content_type");
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw ApiException.BadRequest("The body is empty; send a JSON object.", null, "invalid_json");
        var bytes = buffer.ToArray();
        try
        {
            return (JsonSerializer.Deserialize<T>(bytes, ServerJson.Options), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The body is not valid JSON for this route: {e.Message}", Param(e.Path), "invalid_json");
        }
    }

    private static string? Param(string? path) => path?.TrimStart('$', '.') is { Length: > 0 } p ? p : null;

    private static ApiException TooLarge(long maxBytes) =>
        ApiException.TooLarge($"The request body is larger than {maxBytes} bytes (FastAttn:Server:MaxBodyBytes).");
}
