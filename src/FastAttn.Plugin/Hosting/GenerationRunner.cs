using System.Diagnostics;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// One job through the Engine's seam, once each: the model (loaded on first use), <see cref="IGenerativeModel.Prepare"/>,
/// the plan from the <see cref="PlanResolver"/>, and <see cref="PreparedGeneration.Run"/> on a thread of its own, the
/// items encoded there (PNG or GIF) and the tensors freed. <see cref="ResultAssembly"/> turns it into the caller's result.
/// </summary>
internal sealed class GenerationRunner(ModelRegistry models, PlanResolver plans, ResultAssembly results)
{
    /// <summary>Generates the images of <paramref name="request"/> on model <paramref name="model"/>.</summary>
    public async Task<FastAttnImageResult> ImagesAsync(string model, GenerationRequest request, Quality quality, TimeSpan queueWait,
        CancellationToken cancellationToken)
    {
        var job = await RunAsync(model, request, OutputKind.Image, quality, cancellationToken).ConfigureAwait(false);
        return results.Images(job, queueWait);
    }

    /// <summary>Generates the clip of <paramref name="request"/> on model <paramref name="model"/>.</summary>
    public async Task<FastAttnVideoResult> ClipAsync(string model, VideoRequest request, Quality quality, TimeSpan queueWait,
        CancellationToken cancellationToken)
    {
        var job = await RunAsync(model, request, OutputKind.Video, quality, cancellationToken).ConfigureAwait(false);
        return results.Clip(job, queueWait);
    }

    /// <summary>Loads the default model and resolves its plan for a default request (warm-up); a model that needs a prompt skips the plan.</summary>
    public async Task<string> WarmUpAsync(string model, Quality quality, CancellationToken cancellationToken)
    {
        var loaded = await models.GetAsync(model, cancellationToken).ConfigureAwait(false);
        PreparedGeneration prepared;
        try { prepared = loaded.Prepare(new GenerationRequest { Threshold = quality.Delta }); }
        catch (GenerationRequestException) { return model; }
        if (quality.Delta > 0) await plans.ResolveAsync(loaded, prepared, cancellationToken: cancellationToken).ConfigureAwait(false);
        return model;
    }

    private async Task<FinishedJob> RunAsync(string model, GenerationRequest request, OutputKind kind, Quality quality,
        CancellationToken cancellationToken)
    {
        var loaded = await models.GetAsync(model, cancellationToken).ConfigureAwait(false);
        if (loaded.Output != kind)
            throw new FastAttnRequestException(kind == OutputKind.Image
                ? $"The model '{model}' generates video; ask for a video (generate_video) or use an image model."
                : $"The model '{model}' generates images, not video; use a text-to-video model.", "model");
        PreparedGeneration prepared;
        try { prepared = loaded.Prepare(request); }
        catch (GenerationRequestException e) { throw new FastAttnRequestException(e.Message, e.Parameter, e); }
        var plan = quality.Delta > 0 ? await plans.ResolveAsync(loaded, prepared, cancellationToken: cancellationToken).ConfigureAwait(false) : null;
        var rendered = await Task.Factory.StartNew(() => Render(prepared, plan?.Plan, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        return new FinishedJob(model, quality, prepared, plan, rendered);
    }

    private static Rendered Render(PreparedGeneration prepared, CompressionPlan? plan, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var scope = TorchSharp.torch.NewDisposeScope();                                  // every tensor of the run, freed here
        using var output = prepared.Run(plan, null, cancellationToken);
        var files = Enumerable.Range(0, output.Count).Select(output.Encode).ToArray();
        return new Rendered(files, output.FileExtension, stopwatch.Elapsed, (output as VideoOutput)?.Frames, (output as VideoOutput)?.Fps);
    }
}

/// <summary>A generation's encoded items: one file each, their extension, the time taken, and for clips frames and fps.</summary>
internal sealed record Rendered(byte[][] Files, string Extension, TimeSpan Elapsed, int? Frames, double? Fps);

/// <summary>A job done: the model's name, the quality asked for, the prepared generation, its plan (null: none) and the items.</summary>
internal sealed record FinishedJob(string Model, Quality Quality, PreparedGeneration Prepared, ResolvedPlan? Plan, Rendered Rendered);
