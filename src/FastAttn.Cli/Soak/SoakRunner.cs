using System.Collections.Concurrent;
using System.Diagnostics;
using FastAttn.Plugin.Hosting;

namespace FastAttn.Cli.Soak;

/// <summary>One request as its client saw it.</summary>
internal sealed record SoakResult(SoakCall Call, string Transport, SoakOutcome Outcome, double StartedAt, double Seconds, string? Error,
    bool QueueFull, bool DeadlineHit);

/// <summary>
/// Runs K closed-loop clients over the transports until the duration or request count is reached, and accounts for
/// every request from the client's side (see <see cref="SoakOutcome"/>).
/// </summary>
internal sealed class SoakRunner(SoakSettings settings, IReadOnlyList<ISoakTransport> transports, IFastAttnEngine? engine,
    Func<double>? siloRssMb = null, Func<double>? watchedRssMb = null)
{
    /// <summary>How long past its deadline an answer may come (the engine's cancellation reaching a running step).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<SoakResult> _results = new();
    private readonly ConcurrentQueue<double> _recent = new();
    private readonly Stopwatch _clock = new();
    private int _issued;
    private double _typical = 1.0;

    public IReadOnlyCollection<SoakResult> Results => _results;

    /// <summary>File names of the items clients received (to find files nobody received: <see cref="SoakHost.OrphanFiles"/>).</summary>
    public ConcurrentDictionary<string, byte> Delivered { get; } = new(StringComparer.Ordinal);

    public double WallSeconds => _clock.Elapsed.TotalSeconds;

    public SoakSampler? Sampler { get; private set; }

    /// <summary>How long the warm-up took (before the clock and the samples start).</summary>
    public double WarmUpSeconds { get; private set; }

    public async Task RunAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var mix = new SoakMix(settings);
        WarmUpSeconds = await WarmUpAsync(mix, cancellationToken).ConfigureAwait(false);
        progress?.Report($"soak: warmed up in {WarmUpSeconds:F0} s");
        _clock.Start();
        Sampler = new SoakSampler(engine, () => _results.Count, DrainRecent, siloRssMb, watchedRssMb);
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var period = TimeSpan.FromSeconds(Math.Clamp((settings.Duration?.TotalSeconds ?? 60) / 240, 0.5, 10));
        var sampling = Sampler.RunAsync(period, stopSampling.Token);
        var reporting = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(15), stopSampling.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                progress?.Report($"{_clock.Elapsed.TotalMinutes:F1} min: {_results.Count} answered, " +
                    $"{_results.Count(r => r.Outcome == SoakOutcome.Lost)} lost");
            }
        }, CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(c => Task.Run(() => ClientAsync(mix, cancellationToken),
            cancellationToken))).ConfigureAwait(false);
        await stopSampling.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(sampling, reporting).ConfigureAwait(false);
    }

    /// <summary>
    /// Warm-up, not counted and not sampled: every kind of good call (image, pair, clip) through every transport that takes it,
    /// so the first model load, JIT and allocator growth fall before the samples growth is measured on.
    /// </summary>
    private async Task<double> WarmUpAsync(SoakMix mix, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var calls = mix.WarmUp();
        foreach (var transport in transports)
            foreach (var call in calls.Where(transport.Supports))
            {
                int copies = call.Kind == SoakKind.Burst ? Math.Max(1, new Plugin.Options.FastAttnOptions().MaxBatch / 2) : 1;
                await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => WarmAsync(transport, call, cancellationToken))).ConfigureAwait(false);
            }
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private async Task WarmAsync(ISoakTransport transport, SoakCall call, CancellationToken cancellationToken)
    {
        try
        {
            var answer = await transport.SendAsync(call, cancellationToken).ConfigureAwait(false);
            foreach (var path in answer.Paths.Where(p => p.Length > 0)) Delivered.TryAdd(Path.GetFileName(path), 0);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested) { }
    }

    private bool More() => settings.Requests is int n ? Interlocked.Increment(ref _issued) <= n : _clock.Elapsed < settings.Duration;

    private async Task ClientAsync(SoakMix mix, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && More())
        {
            var call = mix.Next(Volatile.Read(ref _typical));
            var able = transports.Where(t => t.Supports(call)).ToArray();
            if (able.Length == 0) continue;
            int turn = call.Kind == SoakKind.Burst ? call.Id / SoakMix.BurstEvery : call.Id;    // bursts too take each transport in turn
            var transport = able[turn % able.Length];
            SoakResult[] answered = call.Kind != SoakKind.Burst ? [await OneAsync(transport, call).ConfigureAwait(false)]
                : await Task.WhenAll(Enumerable.Range(0, settings.Burst).Select(i => OneAsync(transport,
                    call with { Image = call.Image! with { Seed = call.Id * 1000L + i } }))).ConfigureAwait(false);
            foreach (var r in answered) _results.Enqueue(Kept(r));
            var result = answered[0];
            if (result.Outcome == SoakOutcome.Succeeded && call.Kind is SoakKind.Image)
            {
                _recent.Enqueue(result.Seconds);
                Volatile.Write(ref _typical, 0.8 * Volatile.Read(ref _typical) + 0.2 * result.Seconds);
            }
            if (answered.Any(r => r.QueueFull)) await Task.Delay(100, cancellationToken).ConfigureAwait(false);   // a real client backs off
        }
    }

    private async Task<SoakResult> OneAsync(ISoakTransport transport, SoakCall call)
    {
        double startedAt = _clock.Elapsed.TotalSeconds;
        var started = Stopwatch.GetTimestamp();
        using var deadline = new CancellationTokenSource(call.Deadline);
        if (call.CancelAfter is TimeSpan at) deadline.CancelAfter(at < call.Deadline ? at : call.Deadline);
        var send = Task.Run(() => transport.SendAsync(call, deadline.Token));
        SoakResult Result(SoakOutcome outcome, string? error = null, bool queueFull = false) =>
            new(call, transport.Name, outcome, startedAt, Stopwatch.GetElapsedTime(started).TotalSeconds, error, queueFull,
                deadline.IsCancellationRequested && call.CancelAfter is null);
        if (await Task.WhenAny(send, Task.Delay(call.Deadline + Grace)).ConfigureAwait(false) != send)
        {
            _ = send.ContinueWith(t => t.Exception, TaskScheduler.Default);                      // observed, still lost
            return Result(SoakOutcome.Lost, "no answer within its deadline");
        }
        try
        {
            var answer = await send.ConfigureAwait(false);
            foreach (var path in answer.Paths.Where(p => p.Length > 0)) Delivered.TryAdd(Path.GetFileName(path), 0);
            return answer.Files.Count > 0 && answer.Files.All(Decodes) ? Result(SoakOutcome.Succeeded)
                : Result(SoakOutcome.Lost, "answered with files that do not decode");
        }
        catch (OperationCanceledException) { return Result(SoakOutcome.Cancelled); }
        catch (SoakAnsweredTwiceException e) { return Result(SoakOutcome.Lost, e.Message); }
        catch (Exception e) when (SoakErrors.IsTyped(e))
        {
            bool full = e is FastAttnQueueFullException || e.Message.StartsWith("Could not generate now", StringComparison.Ordinal);
            return Result(SoakOutcome.FailedTyped, e.GetType().Name + ": " + e.Message, full);
        }
        catch (Exception e) { return Result(SoakOutcome.Untyped, e.GetType().FullName + ": " + e.Message); }
    }

    private static bool Decodes(byte[] bytes)
    {
        try
        {
            using var image = SixLabors.ImageSharp.Image.Load(bytes);
            return image.Width > 0;
        }
        catch (Exception e) when (e is SixLabors.ImageSharp.ImageFormatException or SixLabors.ImageSharp.UnknownImageFormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// What the report needs of an answered request: its requests (prompts up to 10k characters) and a typed failure's
    /// message are dropped, so the soak's own bookkeeping adds ~100 bytes per request to the GC heap it samples.
    /// </summary>
    private static SoakResult Kept(SoakResult r) => r with
    {
        Call = r.Call with { Image = null, Video = null },
        Error = r.Outcome is SoakOutcome.Lost or SoakOutcome.Untyped ? r.Error : null,
    };

    private IReadOnlyList<double> DrainRecent()
    {
        while (_recent.Count > 20) _recent.TryDequeue(out _);                                 // a sliding window of the last 20
        return _recent.ToArray();
    }
}
