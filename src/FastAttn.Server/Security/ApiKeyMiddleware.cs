using System.Security.Cryptography;
using System.Text;
using FastAttn.Server.Errors;
using FastAttn.Server.Hosting;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Security;

/// <summary>
/// Bearer keys: with <see cref="FastAttnServerOptions.ApiKeys"/> configured, every <c>/v1</c> and <c>/metrics</c> request
/// must send <c>Authorization: Bearer KEY</c> with one of them (compared in constant time over SHA-256 digests), else 401.
/// The page, <c>/healthz</c> and <c>/openapi</c> stay open. Keys are never logged.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<FastAttnServerOptions> options)
{
    /// <summary>The <see cref="HttpContext.Items"/> entry naming the client (<c>key0</c>, <c>key1</c>, … or <c>anonymous</c>).</summary>
    public const string ClientItem = "fastattn.client";

    private readonly byte[][] _digests = options.Value.ApiKeys.Where(k => !string.IsNullOrWhiteSpace(k))
        .Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k.Trim()))).ToArray();

    /// <summary>Checks the key of a protected request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_digests.Length == 0 || !Protected(context.Request.Path))
        {
            context.Items[ClientItem] = "anonymous";
            await next(context).ConfigureAwait(false);
            return;
        }
        int index = Match(context.Request.Headers.Authorization.FirstOrDefault());
        if (index < 0)
        {
            var error = new ApiException(StatusCodes.Status401Unauthorized,
                "Missing or wrong API key: send 'Authorization: Bearer KEY' with a key from FastAttn:Server:ApiKeys.",
                ErrorTypes.Authentication, null, "invalid_api_key");
            await ErrorWriter.WriteAsync(context, error, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        context.Items[ClientItem] = "key" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await next(context).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="path"/> needs a key.</summary>
    public static bool Protected(PathString path) =>
        path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    /// <summary>The index of the key <paramref name="authorization"/> carries, or -1; every key is compared, in constant time.</summary>
    private int Match(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return -1;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        int found = -1;
        for (int i = 0; i < _digests.Length; i++)
            if (CryptographicOperations.FixedTimeEquals(digest, _digests[i]) && found < 0) found = i;
        return found;
    }
}
