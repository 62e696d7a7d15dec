using System.Globalization;
using FastAttn.Plugin.Hosting;

namespace FastAttn.Cli.Soak;

/// <summary>
/// The soak's traffic: good requests of every kind (images, batchable pairs, clips when a video model is served), one bad
/// request per validation rule, oversized ones, cancellations at random points and (on the cluster) duplicate keys —
/// good ones about 60% of all. Deterministic for a seed.
/// </summary>
internal sealed class SoakMix(SoakSettings settings)
{
    private readonly Random _random = new(settings.Seed);
    private readonly Lock _gate = new();
    private int _next;

    /// <summary>One call in this many is a burst (with <see cref="SoakSettings.Burst"/> above 0).</summary>
    public const int BurstEvery = 60;

    /// <summary>Every bad request, one per rule the engine checks (each must be refused with a typed error).</summary>
    private static readonly (string Label, string Parameter, Func<FastAttnImageRequest, FastAttnImageRequest> Make)[] Bad =
    [
        ("unknown-model", "model", r => r with { Model = "no-such-model" }),
        ("no-class-in-prompt", "prompt", r => r with { Prompt = "a teapot on a table" }),
        ("zero-images", "count", r => r with { Count = 0 }),
        ("negative-steps", "steps", r => r with { Steps = -3 }),
        ("unknown-preset", "preset", r => r with { Preset = "D9" }),
        ("guidance-below-1", "guidance", r => r with { GuidanceScale = 0.5 }),
        ("negative-threshold", "threshold", r => r with { Preset = null, Threshold = -0.1 }),
        ("zero-width", "size", r => r with { Width = 0, Height = 32 }),
    ];

    private static readonly (string Label, string Parameter, Func<FastAttnImageRequest, FastAttnImageRequest> Make)[] Oversized =
    [
        ("too-many-images", "count", r => r with { Count = 64 }),
        ("too-many-steps", "steps", r => r with { Steps = 5000 }),
        ("4096-square", "size", r => r with { Width = 4096, Height = 4096 }),
        ("10k-prompt", "prompt", r => r with { Prompt = new string('7', 10_000) }),
    ];

    /// <summary>
    /// The request parameter a bad or oversized call's fault is in (model, prompt, count, steps, preset, guidance, threshold,
    /// size); null for other calls. A transport sends only the faults its request can carry.
    /// </summary>
    public static string? ParameterOf(SoakCall call) => call.Kind is SoakKind.Bad or SoakKind.Oversized
        ? Bad.Concat(Oversized).First(f => f.Label == call.Label).Parameter
        : null;

    /// <summary>
    /// The warm-up's calls (not counted): a good image, a batchable pair, a full batch (the engine's largest, so the native
    /// heap reaches the peak a burst makes before sampling starts) and, with a video model, a clip.
    /// </summary>
    public IReadOnlyList<SoakCall> WarmUp()
    {
        var good = new FastAttnImageRequest { Prompt = "3", Model = settings.ImageModel, Preset = "raw", Steps = settings.Steps, Seed = 1 };
        var calls = new List<SoakCall>
        {
            new(-1, SoakKind.Image, "warm-up", settings.Deadline) { Image = good },
            new(-2, SoakKind.Batchable, "warm-up", settings.Deadline) { Image = good with { Count = 2 } },
            new(-4, SoakKind.Burst, "warm-up", settings.Deadline) { Image = good with { Count = 2 } },     // sent MaxBatch / 2 times at once
        };
        if (settings.VideoModel is not null)
            calls.Add(new(-3, SoakKind.Video, "warm-up", settings.Deadline)
            {
                Video = new FastAttnVideoRequest { Prompt = "waves", Model = settings.VideoModel, Frames = 3, Width = 48, Height = 32, Seed = 1 },
            });
        return calls;
    }

    /// <summary>The next call; <paramref name="typicalSeconds"/> (a good request's recent latency) spreads the cancel points.</summary>
    public SoakCall Next(double typicalSeconds)
    {
        lock (_gate)
        {
            int id = _next++;
            double roll = _random.NextDouble();
            var good = new FastAttnImageRequest
            {
                Prompt = (id % 10).ToString(CultureInfo.InvariantCulture), Model = settings.ImageModel, Preset = "raw",
                Steps = settings.Steps, Seed = id,
            };
            var call = new SoakCall(id, SoakKind.Image, "image", settings.Deadline) { Image = good };
            if (settings.Burst > 0 && id % BurstEvery == 7) return call with { Kind = SoakKind.Burst, Label = "burst" };
            if (roll < 0.30) return call;
            if (roll < 0.48) return call with { Kind = SoakKind.Batchable, Label = "batchable-pair", Image = good with { Count = 2 } };
            if (roll < 0.58)
                return settings.VideoModel is null ? call : call with
                {
                    Kind = SoakKind.Video, Label = "video", Image = null,
                    Video = new FastAttnVideoRequest
                    {
                        Prompt = "waves", Model = settings.VideoModel, Frames = 3, Width = 48, Height = 32, Seed = id,
                    },
                };
            if (roll < 0.73)
            {
                var (label, _, make) = Bad[_random.Next(Bad.Length)];
                return call with { Kind = SoakKind.Bad, Label = label, Image = make(good) };
            }
            if (roll < 0.78)
            {
                var (label, _, make) = Oversized[_random.Next(Oversized.Length)];
                return call with { Kind = SoakKind.Oversized, Label = label, Image = make(good) };
            }
            if (roll < 0.93)
            {
                double at = _random.NextDouble() * 1.3 * typicalSeconds;                      // 0: queued … ~1: mid-step or saving
                string point = at < 0.15 * typicalSeconds ? "cancel-queued" : at < typicalSeconds ? "cancel-running" : "cancel-late";
                return call with { Kind = SoakKind.Cancelled, Label = point, CancelAfter = TimeSpan.FromSeconds(at) };
            }
            return settings.Cluster
                ? call with { Kind = SoakKind.Duplicate, Label = "duplicate-key", IdempotencyKey = $"soak-{settings.Seed}-{id}" }
                : call;
        }
    }
}

/// <summary>The soak's settings.</summary>
/// <param name="Duration">How long clients send (null: until <paramref name="Requests"/> are sent).</param>
/// <param name="Requests">A fixed number of requests (null: by <paramref name="Duration"/>).</param>
/// <param name="Clients">Concurrent clients.</param>
/// <param name="ImageModel">The image model (class-conditional; prompts are digits).</param>
/// <param name="VideoModel">The video model's configured name (null: no video requests).</param>
/// <param name="Steps">Denoising steps of good image requests (null: the model's).</param>
/// <param name="Deadline">Each request's deadline: the client cancels it then, and an answer later than that plus a grace is lost.</param>
/// <param name="Cluster">Whether the cluster transport is on (duplicate keys are sent).</param>
/// <param name="Seed">The mix's seed.</param>
/// <param name="Burst">Requests in a burst (one call in <see cref="SoakMix.BurstEvery"/>; 0: no bursts): more than the queue holds.</param>
internal sealed record SoakSettings(TimeSpan? Duration, int? Requests, int Clients, string ImageModel, string? VideoModel, int? Steps,
    TimeSpan Deadline, bool Cluster, int Seed, int Burst = 0);
