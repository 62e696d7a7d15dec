using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FastAttn.Cli.Soak;

/// <summary>
/// A running FastAttn HTTP server (<c>--url</c>): <c>POST v1/images/generations</c> (b64_json), its status codes mapped to
/// the soak's outcomes — 4xx a typed refusal (429: queue full), 5xx untyped. Duplicate calls send one
/// <c>Idempotency-Key</c> twice at once: both answers must be the same images.
/// </summary>
internal sealed class HttpTransport : ISoakTransport, IDisposable
{
    private readonly HttpClient _http;

    public HttpTransport(string url, string? apiKey)
    {
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--url must be the server's http(s) root, e.g. http://127.0.0.1:5080 (got '{url}').");
        _http = new HttpClient { BaseAddress = root, Timeout = Timeout.InfiniteTimeSpan };               // each call has its deadline
        if (!string.IsNullOrEmpty(apiKey)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    public string Name => "http";

    /// <summary>Parameters of the images API a fault can be in (it has no threshold field).</summary>
    private static readonly string[] Carried = ["model", "prompt", "count", "steps", "preset", "guidance", "size"];

    /// <summary>Image calls whose fault, if any, the images API can carry.</summary>
    public bool Supports(SoakCall call) => call.Image is not null && (SoakMix.ParameterOf(call) is not string fault || Carried.Contains(fault));

    public async Task<SoakAnswer> SendAsync(SoakCall call, CancellationToken cancellationToken)
    {
        var key = call.Kind == SoakKind.Duplicate ? call.IdempotencyKey : null;
        var sends = call.Kind == SoakKind.Duplicate ? [PostAsync(call, key, cancellationToken), PostAsync(call, key, cancellationToken)]
            : new[] { PostAsync(call, key, cancellationToken) };
        var answers = await Task.WhenAll(sends).ConfigureAwait(false);
        if (answers.Length > 1 && !answers[0].SequenceEqual(answers[1], ByteArrayComparer.Instance))
            throw new SoakAnsweredTwiceException($"Idempotency-Key {key} answered with two different results");
        return new SoakAnswer(answers[0], answers[0].Select(_ => "").ToArray());
    }

    private async Task<byte[][]> PostAsync(SoakCall call, string? key, CancellationToken cancellationToken)
    {
        var body = Commands.ImagesApiBody.Of(call.Image!);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/images/generations") { Content = JsonContent.Create(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.TooManyRequests) throw new Plugin.Hosting.FastAttnQueueFullException("429: " + text);
        if ((int)response.StatusCode is >= 400 and < 500) throw new SoakRefusedException($"{(int)response.StatusCode}: {text}");
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"The server answered {(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("data").EnumerateArray().Select(d => Convert.FromBase64String(d.GetProperty("b64_json").GetString()!))
            .ToArray();
    }

    public void Dispose() => _http.Dispose();

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
