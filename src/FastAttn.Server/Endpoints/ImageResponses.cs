using FastAttn.Plugin.Hosting;
using FastAttn.Server.Hosting;
using FastAttn.Server.Outputs;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// Turns an engine result into the OpenAI-shaped answer: each PNG inline (base64) or stored and linked under
/// <see cref="FastAttnServerOptions.PublicBaseUrl"/> (default: the request's own scheme and host).
/// </summary>
public sealed class ImageResponses(ServedOutputStore store, IOptions<FastAttnServerOptions> options, TimeProvider time)
{
    /// <summary>The route files are served from (<c>GET {route}/{name}</c>).</summary>
    public const string FilesRoute = "/v1/fastattn/files";

    /// <summary>The answer for <paramref name="result"/>.</summary>
    public ImageGenerationResponse Build(FastAttnImageResult result, bool url, string baseUrl)
    {
        ArgumentNullException.ThrowIfNull(result);
        var data = result.Images.Select(image => url
            ? new ImageData(null, Link(store.Add(image.Png, "image/png", ".png"), baseUrl), image.Subject, image.Seed)
            : new ImageData(Convert.ToBase64String(image.Png), null, image.Subject, image.Seed)).ToArray();
        return new ImageGenerationResponse(time.GetUtcNow().ToUnixTimeSeconds(), data, Info(result));
    }

    /// <summary>The base of links in answers to <paramref name="request"/>.</summary>
    public string BaseUrl(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return options.Value.PublicBaseUrl is { Length: > 0 } configured ? configured.TrimEnd('/')
            : $"{request.Scheme}://{request.Host}{request.PathBase}";
    }

    /// <summary>The link of stored file <paramref name="name"/> under <paramref name="baseUrl"/>.</summary>
    public static string Link(string name, string baseUrl) => $"{baseUrl}{FilesRoute}/{name}";

    /// <summary>FastAttn's account of <paramref name="result"/>.</summary>
    public static FastAttnInfo Info(FastAttnImageResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new FastAttnInfo(result.Model, result.Preset, result.Compressed, result.AttentionFlopsFraction, result.Elapsed.TotalSeconds,
            result.QueueWait.TotalSeconds, result.Steps, result.Width, result.Height, result.Resized, result.Notes);
    }
}
