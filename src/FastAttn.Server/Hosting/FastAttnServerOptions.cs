namespace FastAttn.Server.Hosting;

/// <summary>
/// Configuration of the HTTP server (section <c>"FastAttn:Server"</c>); the engine itself is configured under
/// <c>"FastAttn"</c>. Defaults suit a loopback server for one person; docs/http-api.md lists every setting.
/// </summary>
public sealed class FastAttnServerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "FastAttn:Server";

    /// <summary>The address the server listens on when neither <c>ASPNETCORE_URLS</c> nor <c>urls</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// Bearer keys a client must send (<c>Authorization: Bearer KEY</c>). Empty: no key needed, and the server only
    /// listens on loopback addresses.
    /// </summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// The base of the links in <c>url</c> responses (e.g. <c>https://images.example.com</c>, behind a proxy). Default: the
    /// scheme and host of each request.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Largest request body in bytes; beyond it the answer is 413 (default 64 KiB).</summary>
    public long MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Longest prompt in characters; beyond it the answer is 413 (default 4000; the engine's own limit may be lower: 400).</summary>
    public int MaxPromptChars { get; set; } = 4000;

    /// <summary>
    /// The model that OpenAI's names (<c>dall-e-2</c>, <c>dall-e-3</c>, <c>gpt-image-1</c>) and requests naming none map to
    /// (default: the engine's <c>FastAttn:DefaultModel</c>).
    /// </summary>
    public string? DefaultModel { get; set; }

    /// <summary>
    /// Accept any size by resizing the model's output (sets the engine's <c>FastAttn:AllowResize</c>); off: a size the model
    /// cannot make is a 400 that names the sizes it can.
    /// </summary>
    public bool Resize { get; set; }

    /// <summary>How long generated files stay downloadable through <c>url</c> responses and job results (default one hour).</summary>
    public TimeSpan OutputTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most generated files kept for download (oldest dropped first; default 256).</summary>
    public int MaxStoredOutputs { get; set; } = 256;

    /// <summary>How long an <c>Idempotency-Key</c> is remembered (default 24 hours).</summary>
    public TimeSpan IdempotencyTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Most <c>Idempotency-Key</c>s remembered (oldest forgotten first; default 1000).</summary>
    public int MaxIdempotencyKeys { get; set; } = 1000;

    /// <summary>How long finished jobs (image jobs, videos) stay queryable (default one hour).</summary>
    public TimeSpan JobTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long shutdown waits for in-flight generations before cancelling them (default 30 s).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The <c>Retry-After</c> seconds sent with a 429 (queue full) or 503 (draining) answer (default 2).</summary>
    public int RetryAfterSeconds { get; set; } = 2;
}
