using System.Diagnostics;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// A job through the Engine's seam: the model (loaded on first use), <see cref="IGenerativeModel.Prepare"/> and the plan
/// from the <see cref="PlanResolver"/> (<see cref="StageAsync"/>); then one or more staged jobs that can share a forward as
/// one <see cref="PreparedGeneration.RunTogether"/> call (<see cref="Render"/>), the items encoded there (PNG or GIF) and
/// the tensors freed. <see cref="ResultAssembly"/> turns each member into its caller's result.
/// </summary>
internal sealed class GenerationRunner(ModelRegistry models, PlanResolver plans)
{
    /// <summary>Loads <paramref name="job"/>'s model, prepares the job (once) and resolves its plan.</summary>
    /// <exception cref="FastAttnRequestException">The model cannot serve the request, or the request is out of its bounds.</exception>
    public async Task<StagedJob> StageAsync(GenerationJob job, CancellationToken cancellationToken)
    {
        var loaded = await models.GetAsync(job.Model, cancellationToken).ConfigureAwait(false);
        var prepared = job.Prepare(loaded, Prepare);
        var plan = await PlanAsync(loaded, prepared, job.Quality, cancellationToken).ConfigureAwait(false);
        return new StagedJob(job, loaded, prepared, plan);
    }

    /// <summary>The plan of <paramref name="prepared"/> at <paramref name="quality"/> (null: raw, or none found).</summary>
    public Task<ResolvedPlan?> PlanAsync(IGenerativeModel loaded, PreparedGeneration prepared, Quality quality,
        CancellationToken cancellationToken) =>
        quality.Delta > 0 ? plans.ResolveAsync(loaded, prepared, cancellationToken: cancellationToken)
            : Task.FromResult<ResolvedPlan?>(null);

    /// <summary>
    /// Prepares <paramref name="job"/> on <paramref name="loaded"/>; a request the model refuses is a
    /// <see cref="FastAttnRequestException"/>.
    /// </summary>
    public static PreparedGeneration Prepare(IGenerativeModel loaded, GenerationJob job)
    {
        if (loaded.Output != job.Kind)
            throw new FastAttnRequestException(job.Kind == OutputKind.Image
                ? $"The model '{job.Model}' generates video; ask for a video (generate_video) or use an image model."
                : $"The model '{job.Model}' generates images, not video; use a text-to-video model.", "model");
        try { return loaded.Prepare(job.Request); }
        catch (GenerationRequestException e) { throw new FastAttnRequestException(e.Message, e.Parameter, e); }
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

    /// <summary>
    /// Runs <paramref name="members"/> (one plan, equal batch keys) as one batch on the calling thread and encodes the items
    /// of each member <paramref name="wanted"/> still wants (null for the others). Every tensor of the run is freed here.
    /// </summary>
    public static Rendered?[] Render(IReadOnlyList<StagedJob> members, CompressionPlan? plan, Func<int, bool> wanted,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var scope = TorchSharp.torch.NewDisposeScope();                                  // every tensor of the run, freed here
        var progress = members.Any(m => m.Job.Progress is not null) ? new BatchProgress(members) : null;
        var outputs = PreparedGeneration.RunTogether(members.Select(m => m.Prepared).ToArray(), plan, progress, cancellationToken);
        try
        {
            return outputs.Select((output, i) => wanted(i) ? Encode(output, stopwatch.Elapsed) : null).ToArray();
        }
        finally
        {
            foreach (var output in outputs) output.Dispose();
        }
    }

    private static Rendered Encode(GenerationOutput output, TimeSpan elapsed) =>
        new(Enumerable.Range(0, output.Count).Select(output.Encode).ToArray(), output.FileExtension, elapsed, (output as VideoOutput)?.Frames,
            (output as VideoOutput)?.Fps);
}

/// <summary>Reports the batch's steps to each member that asked, in order, on the worker's thread; a failing reporter is ignored.</summary>
internal sealed class BatchProgress(IReadOnlyList<StagedJob> members) : IProgress<Engine.Pipelines.DiffusionProgress>
{
    public void Report(Engine.Pipelines.DiffusionProgress value)
    {
        var step = new FastAttnProgress(value.Step, value.TotalSteps);
        foreach (var member in members)
        {
            if (member.Job.IsCompleted) continue;
            try { member.Job.Progress?.Report(step); }
            catch (Exception e) when (e is not OperationCanceledException) { }              // a caller's reporter never stops the batch
        }
    }
}

/// <summary>A job ready to run: its loaded model, its prepared generation and its plan (null: none).</summary>
internal sealed record StagedJob(GenerationJob Job, IGenerativeModel Loaded, PreparedGeneration Prepared, ResolvedPlan? Plan)
{
    /// <summary>Estimated working memory of the job's items in a batch (0: unknown).</summary>
    public long Bytes => Prepared.ItemBytes * Prepared.Count;
}

/// <summary>A generation's encoded items: one file each, their extension, the time taken, and for clips frames and fps.</summary>
internal sealed record Rendered(byte[][] Files, string Extension, TimeSpan Elapsed, int? Frames, double? Fps);

/// <summary>A job done: the model's name, the quality asked for, the prepared generation, its plan (null: none) and the items.</summary>
internal sealed record FinishedJob(string Model, Quality Quality, PreparedGeneration Prepared, ResolvedPlan? Plan, Rendered Rendered);
