using System.Diagnostics;
using System.Diagnostics.Metrics;
using FastAttn.Plugin.Hosting;

namespace FastAttn.Plugin.Diagnostics;

/// <summary>
/// Metrics (meter <c>FastAttn</c>) and traces (a <c>fastattn.generate</c> activity per call) around any
/// <see cref="IFastAttnEngine"/>: generations by model, preset and outcome (ok, canceled, rejected, error), images, time
/// generating and queued, attention FLOPs saved, and the queue's length. Added with <c>UseTelemetry()</c>.
/// </summary>
public sealed class TelemetryFastAttnEngine : DelegatingFastAttnEngine
{
    private readonly FastAttnTelemetry _telemetry;

    /// <summary>Wraps <paramref name="innerEngine"/>, with instruments on a meter of <paramref name="meterFactory"/> (or an own meter).</summary>
    public TelemetryFastAttnEngine(IFastAttnEngine innerEngine, IMeterFactory? meterFactory = null) : base(innerEngine) =>
        _telemetry = new FastAttnTelemetry(() => InnerEngine.Status.QueueDepth, meterFactory);

    /// <inheritdoc />
    public override Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default) =>
        Observe(request?.Model, request?.Preset, () => base.GenerateAsync(request!, cancellationToken),
            r => new Outcome(r.Model, r.Preset, r.Images.Count, r.Compressed, r.AttentionFlopsFraction, r.AttentionFlopsSaved, r.QueueWait));

    /// <inheritdoc />
    public override Task<FastAttnVideoResult> GenerateVideoAsync(FastAttnVideoRequest request, CancellationToken cancellationToken = default) =>
        Observe(request?.Model ?? DefaultVideoModel, request?.Preset, () => base.GenerateVideoAsync(request!, cancellationToken),
            r => new Outcome(r.Model, r.Preset, 1, r.Compressed, r.AttentionFlopsFraction, r.AttentionFlopsSaved, r.QueueWait));

    /// <summary>Records a call; a call refused at once (a full queue, a bad request) throws at once, as the inner engine's does.</summary>
    private Task<T> Observe<T>(string? model, string? preset, Func<Task<T>> call, Func<T, Outcome> outcome)
    {
        model ??= SafeDefaultModel();
        preset ??= "default";
        var activity = FastAttnTelemetry.ActivitySource.StartActivity("fastattn.generate");
        activity?.SetTag("fastattn.model", model);
        activity?.SetTag("fastattn.preset", preset);
        var stopwatch = Stopwatch.StartNew();
        Task<T> task;
        try { task = call(); }
        catch (Exception e)
        {
            Failed(e, model, preset, activity);
            activity?.Dispose();
            throw;
        }
        return CompleteAsync(task, model, preset, activity, stopwatch, outcome);
    }

    private async Task<T> CompleteAsync<T>(Task<T> task, string model, string preset, Activity? activity, Stopwatch stopwatch, Func<T,
        Outcome> outcome)
    {
        try
        {
            var result = await task.ConfigureAwait(false);
            var o = outcome(result);
            var tags = Tags(o.Model, o.Preset, null);
            _telemetry.QueueWait.Record(o.QueueWait.TotalSeconds, tags);
            _telemetry.Duration.Record(Math.Max(0, (stopwatch.Elapsed - o.QueueWait).TotalSeconds), tags);
            _telemetry.Images.Add(o.Items, tags);
            if (o.Compressed) _telemetry.FlopsSaved.Add(o.FlopsSaved, tags);
            _telemetry.Generations.Add(1, Tags(o.Model, o.Preset, "ok"));
            activity?.SetTag("fastattn.compressed", o.Compressed);
            activity?.SetTag("fastattn.attention_flops_fraction", o.FlopsFraction);
            return result;
        }
        catch (Exception e)
        {
            Failed(e, model, preset, activity);
            throw;
        }
        finally
        {
            activity?.Dispose();
        }
    }

    private void Failed(Exception e, string model, string preset, Activity? activity)
    {
        var outcome = e switch
        {
            OperationCanceledException => "canceled",
            FastAttnRequestException or FastAttnQueueFullException => "rejected",
            _ => "error",
        };
        _telemetry.Generations.Add(1, Tags(model, preset, outcome));
        activity?.SetStatus(ActivityStatusCode.Error, outcome == "canceled" ? "canceled" : e.Message);
    }

    private string SafeDefaultModel()
    {
        try { return DefaultModel; }
        catch (FastAttnRequestException) { return "unknown"; }
    }

    private static TagList Tags(string model, string preset, string? outcome)
    {
        var tags = new TagList { { "fastattn.model", model }, { "fastattn.preset", preset } };
        if (outcome is not null) tags.Add("fastattn.outcome", outcome);
        return tags;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _telemetry.Dispose();
        base.Dispose(disposing);
    }

    private sealed record Outcome(string Model, string Preset, int Items, bool Compressed, double FlopsFraction, double FlopsSaved,
        TimeSpan QueueWait);
}
