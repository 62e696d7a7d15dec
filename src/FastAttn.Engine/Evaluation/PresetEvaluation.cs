using System.Diagnostics;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Evaluation;

/// <summary>One preset's quality and cost against the uncompressed model (same seeds, same run).</summary>
/// <param name="Preset">raw, D1…D6 or a δ.</param>
/// <param name="Accuracy">Fraction of generated digits the classifier assigns to the requested class.</param>
/// <param name="Fid">FID in the classifier's penultimate features against the held-out digits.</param>
/// <param name="Mrae">Mean relative absolute error against the raw images of the same seeds.</param>
/// <param name="Psnr">PSNR (dB) against the raw images of the same seeds (images in [−1, 1], peak-to-peak 2).</param>
/// <param name="FlopsFraction">Attention-module FLOPs fraction of the plan.</param>
/// <param name="TransformerFlopsFraction">Whole-transformer FLOPs fraction of the plan.</param>
/// <param name="LatencyFraction">Generation wall time relative to raw in the same run.</param>
/// <param name="Seconds">Generation wall time.</param>
public sealed record PresetResult(string Preset, double Accuracy, double Fid, double Mrae, double Psnr, double FlopsFraction,
    double TransformerFlopsFraction, double LatencyFraction, double Seconds);

/// <summary>
/// Evaluates presets on a class-conditional digit model: N images (labels cycling 0–9, seeds seed…seed+N−1) per preset,
/// judged by a digit classifier (accuracy, FID against real held-out digits) and against the raw images.
/// </summary>
public static class PresetEvaluation
{
    /// <summary>Runs the evaluation; <paramref name="plans"/> maps preset names to plans (null = raw). Raw must come first.</summary>
    public static (IReadOnlyList<PresetResult> Rows, Tensor Grid) Run(DiTPipeline pipeline, IReadOnlyList<(string Name, CompressionPlan? Plan)> plans,
        DigitClassifier classifier, Tensor realImages, int samples, long seed, int steps, IDiffusionSchedulerFactory scheduler, double guidance,
        int gridRows = 8, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentNullException.ThrowIfNull(classifier);
        if (plans.Count == 0 || plans[0].Plan is not null) throw new ArgumentException("The first entry must be raw (no plan).", nameof(plans));
        using var noGrad = no_grad();
        var labels = Enumerable.Range(0, samples).Select(i => i % 10).ToArray();
        using var labelTensor = tensor(labels.Select(l => (long)l).ToArray());
        using var realFeatures = Features(classifier, realImages);
        var rows = new List<PresetResult>();
        Tensor? rawImages = null;
        double rawSeconds = 0;
        var gridColumns = new List<Tensor>();
        try
        {
            foreach (var (name, plan) in plans)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var stopwatch = Stopwatch.StartNew();
                var chunks = new List<Tensor>();
                for (int s = 0; s < samples; s += 100)
                {
                    int count = Math.Min(100, samples - s);
                    using var result = pipeline.Generate(new DiTGenerationRequest
                    {
                        ClassLabels = labels.Skip(s).Take(count).ToArray(),
                        Seeds = Enumerable.Range(s, count).Select(i => seed + i).ToArray(),
                        Steps = steps,
                        Scheduler = scheduler,
                        GuidanceScale = guidance,
                        Plan = plan,
                        SamplesPerForward = 0,
                    }, cancellationToken: cancellationToken);
                    chunks.Add(result.Images.clamp(Of(-1), Of(1)));
                    progress?.Report($"{name}: {s + count}/{samples}");
                }
                stopwatch.Stop();
                var images = cat(chunks, 0);
                foreach (var c in chunks) c.Dispose();
                rawImages ??= images.alias();
                if (plan is null) rawSeconds = stopwatch.Elapsed.TotalSeconds;
                double accuracy = classifier.Accuracy(images, labelTensor);
                using var features = Features(classifier, images);
                double fid = FrechetDistance.OfFeatures(features, realFeatures);
                double mrae = MeanRelativeAbsoluteError.Compute(rawImages, images);
                using var mse = (images - rawImages).Squared().mean();
                double psnr = mse.item<float>() == 0 ? double.PositiveInfinity : 10 * Math.Log10(4.0 / mse.item<float>());
                var flops = plan?.Flops;
                rows.Add(new PresetResult(name, accuracy, fid, mrae, psnr, flops?.ModuleFraction ?? 1, flops?.TransformerFraction ?? 1,
                    stopwatch.Elapsed.TotalSeconds / rawSeconds, stopwatch.Elapsed.TotalSeconds));
                gridColumns.Add(images.narrow(0, 0, Math.Min(gridRows, samples)).clone());
                images.Dispose();
            }
            // grid: rows = seeds, columns = presets
            var perRow = Enumerable.Range(0, (int)gridColumns[0].shape[0]).SelectMany(r => gridColumns.Select(c => c[r])).ToArray();
            using var stacked = stack(perRow);
            foreach (var t in perRow) t.Dispose();
            var grid = Imaging.ImageGrid.Tile(stacked, gridColumns.Count);
            return (rows, grid);
        }
        finally
        {
            rawImages?.Dispose();
            foreach (var c in gridColumns) c.Dispose();
        }
    }

    private static Tensor Features(DigitClassifier classifier, Tensor images)
    {
        var parts = new List<Tensor>();
        for (long s = 0; s < images.shape[0]; s += 500)
            parts.Add(classifier.Features(images.narrow(0, s, Math.Min(500, images.shape[0] - s))));
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
