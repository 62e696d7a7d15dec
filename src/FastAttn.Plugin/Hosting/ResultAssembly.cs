using FastAttn.Engine.Compression;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Turns a finished job into the caller's result: items saved through the <see cref="OutputStore"/>, notes (no plan
/// found, resized), the attention-FLOPs fraction and FLOPs saved, and the settings really used.
/// </summary>
internal sealed class ResultAssembly(OutputStore output)
{
    private long _abandoned;

    /// <summary>The folder items are saved to.</summary>
    public string Directory => output.Directory;

    /// <summary>Results whose files were removed because their caller had gone (<see cref="Discard(FastAttnImageResult)"/>).</summary>
    public long Abandoned => Interlocked.Read(ref _abandoned);

    /// <summary>Removes the files of images nobody will receive (best effort) and counts them.</summary>
    public void Discard(FastAttnImageResult result)
    {
        Interlocked.Increment(ref _abandoned);
        output.Discard(result.Images.Select(i => i.Path));
    }

    /// <summary>Removes the file of a clip nobody will receive (best effort) and counts it.</summary>
    public void Discard(FastAttnVideoResult result)
    {
        Interlocked.Increment(ref _abandoned);
        output.Discard([result.Path]);
    }

    public FastAttnImageResult Images(FinishedJob job, TimeSpan queueWait)
    {
        var (g, r) = (job.Prepared, job.Rendered);
        var paths = new List<string>();
        try
        {
            foreach (var png in r.Files) paths.Add(output.Save(png, job.Model, g.Subject, g.SeedFor(paths.Count), r.Extension));
        }
        catch (FastAttnOutputException)
        {
            output.Discard(paths);                                                             // all of a request's images, or none
            throw;
        }
        var images = r.Files.Select((png, i) => new FastAttnImage(png, paths[i], g.SeedFor(i), g.Subject, g.ClassId)).ToArray();
        var (fraction, saved) = Flops(job);
        return new FastAttnImageResult
        {
            Images = images,
            Model = job.Model,
            Preset = job.Quality.Label,
            Compressed = job.Plan is not null,
            PlanPath = job.Plan?.Path,
            AttentionFlopsFraction = fraction,
            AttentionFlopsSaved = saved,
            Width = g.Width,
            Height = g.Height,
            Resized = g.ResizeNote is not null,
            Steps = g.Steps,
            Scheduler = g.Scheduler,
            GuidanceScale = g.GuidanceScale,
            Elapsed = r.Elapsed,
            QueueWait = queueWait,
            Notes = Notes(job),
        };
    }

    public FastAttnVideoResult Clip(FinishedJob job, TimeSpan queueWait)
    {
        var (g, r) = (job.Prepared, job.Rendered);
        var (fraction, saved) = Flops(job);
        return new FastAttnVideoResult
        {
            Gif = r.Files[0],
            Path = output.Save(r.Files[0], job.Model, g.Subject, g.SeedFor(0), r.Extension),
            Model = job.Model,
            Prompt = g.Subject,
            Preset = job.Quality.Label,
            Compressed = job.Plan is not null,
            PlanPath = job.Plan?.Path,
            AttentionFlopsFraction = fraction,
            AttentionFlopsSaved = saved,
            Frames = r.Frames ?? g.Frames ?? 0,
            Width = g.Width,
            Height = g.Height,
            Fps = r.Fps ?? g.Fps ?? 0,
            Seed = g.SeedFor(0),
            Steps = g.Steps,
            Elapsed = r.Elapsed,
            QueueWait = queueWait,
            Notes = Notes(job),
        };
    }

    /// <summary>The plan's attention-FLOPs fraction (1 without one) and the FLOPs it avoided.</summary>
    private static (double Fraction, double Saved) Flops(FinishedJob job)
    {
        if (job.Plan is null) return (1.0, 0);
        double fraction = job.Plan.Plan.Flops?.ModuleFraction ?? 1.0;
        return (fraction, job.Prepared.RawAttentionFlops * (1 - fraction));
    }

    private static List<string> Notes(FinishedJob job)
    {
        var notes = new List<string>();
        if (job.Quality.Delta > 0 && job.Plan is null)
            notes.Add($"No DiTFastAttn plan for {job.Quality.Label} with these settings ({job.Prepared.Settings}); ran uncompressed. " +
                      "Run `fastattn search` for them, or enable FastAttn:SearchOnDemand.");
        if (job.Plan?.Warning is string warning) notes.Add(warning);                      // e.g. a plan searched for another device kind
        if (job.Prepared.ResizeNote is string resized) notes.Add(resized);
        return notes;
    }
}
