using System.Diagnostics;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Class-conditional DiT sampling: noise from per-image seeds → scheduler loop with classifier-free guidance
/// ([cond; uncond] batch, the reference order) → optional VAE decode. Thread-safe for concurrent generations.
/// </summary>
public sealed class DiTPipeline
{
    private readonly ILogger _logger;

    /// <summary>Creates a pipeline over a loaded transformer and, for latent models, a decoder.</summary>
    public DiTPipeline(DiTModel transformer, ILatentDecoder? decoder, ILogger<DiTPipeline>? logger = null)
    {
        Transformer = transformer ?? throw new ArgumentNullException(nameof(transformer));
        Decoder = decoder;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The denoising transformer.</summary>
    public DiTModel Transformer { get; }

    /// <summary>The latent decoder, or null for a pixel-space model.</summary>
    public ILatentDecoder? Decoder { get; }

    /// <summary>
    /// Runs a generation, with the request's DiTFastAttn plan when it has one. Honours <paramref name="cancellationToken"/>
    /// between denoising steps.
    /// </summary>
    public ImageGenerationResult Generate(DiTGenerationRequest request, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request, Transformer.Config);
        int size = request.Size ?? Transformer.Config.InputSize;
        if (request.Plan is CompressionPlan plan)
            PlanCompatibility.Check(plan, ModelFingerprint.Of(Transformer), Transformer.Config.Depth, size, request.Steps, request.Scheduler.Name,
                request.GuidanceScale);
        int chunks = ChunkedForward.Count(request.ClassLabels.Count, request.SamplesPerForward);
        using var denoiser = new PlanDenoiser(request.Plan, chunks, request.GuidanceScale > 1.0, CfgBatchOrder.ConditionalFirst,
            request.CacheCapBytes, request.TimeAttention ? Transformer.Device : null, request.CostModel);
        var result = Run(request, denoiser, progress, cancellationToken);
        return result with
        {
            AttentionFallbacks = denoiser.Fallbacks, PeakCacheBytes = denoiser.PeakCacheBytes, ModuleTimes = denoiser.ModuleTimes,
        };
    }

    /// <summary>The sampling loop (request already validated): noise → (guided) denoiser outputs → scheduler steps → decode.</summary>
    internal ImageGenerationResult Run(DiTGenerationRequest request, IDenoiser denoiser, IProgress<DiffusionProgress>? progress,
        CancellationToken cancellationToken)
    {
        var config = Transformer.Config;
        var stopwatch = Stopwatch.StartNew();
        int batch = request.ClassLabels.Count;
        int size = request.Size ?? config.InputSize;
        var seeds = Enumerable.Range(0, batch).Select(request.SeedFor).ToArray();
        var device = Transformer.Device;
        var scheduler = request.Scheduler.Create(request.Steps);
        _logger.LogDebug("Generating {Count} image(s) at {Size}px latent, {Steps} {Scheduler} steps, guidance {Scale}",
            batch, size, request.Steps, request.Scheduler.Name, request.GuidanceScale);

        using var noGrad = no_grad();
        using var seedNoise = new PerSampleNoise(seeds);
        INoiseSource stepNoise = request.StepNoise ?? seedNoise;
        long[] shape = [batch, config.InChannels, size, size];
        var x = request.InitialNoise is Tensor z
            ? z.to(ScalarType.Float32, device, copy: true)
            : seedNoise.Next(shape, ScalarType.Float32, device);                               // (B, C, h, w) fp32
        using (var labels = tensor(request.ClassLabels.Select(l => (long)l).ToArray(), device: device))
        {
            x = DenoisingLoop.Run(scheduler, x, stepNoise, denoiser, (_, t, sample) => ChunkedForward.Run(batch, request.SamplesPerForward,
                (chunk, start, count) => GuidedOutput(chunk, sample.narrow(0, start, count), labels.narrow(0, start, count), t, request,
                    denoiser)),                                                                   // (B, C_out, h, w)
                progress, stopwatch, cancellationToken);
        }
        var (images, latents) = LatentImages.Finish(x, Decoder, cancellationToken);
        stopwatch.Stop();
        _logger.LogInformation("Generated {Count} image(s) in {Elapsed:F2}s", batch, stopwatch.Elapsed.TotalSeconds);
        return new ImageGenerationResult(images, latents, seeds, stopwatch.Elapsed);
    }

    /// <summary>The (guided) model output for a chunk of samples at timestep <paramref name="t"/>: [cond; uncond] batch when guided.</summary>
    private Tensor GuidedOutput(int chunk, Tensor x, Tensor labels, long t, DiTGenerationRequest request, IDenoiser denoiser)
    {
        var config = Transformer.Config;
        bool guided = request.GuidanceScale > 1.0;
        long n = x.shape[0];
        var modelIn = guided ? cat([x, x], 0) : x;                                                  // (n or 2n, C, h, w)
        var modelLabels = guided ? cat([labels, full(n, Of(config.NumClasses), ScalarType.Int64, labels.device)], 0) : labels;
        var ts = Full(modelIn.shape[0], t, ScalarType.Int64, x.device);
        using var pass = Transformer.Prepare(modelIn.to(Transformer.DType), ts, modelLabels);
        var output = denoiser.Forward(chunk, pass).to(ScalarType.Float32);
        return guided
            ? ClassifierFreeGuidance.Combine(output, request.GuidanceScale, config.InChannels, request.GuidedChannels, CfgBatchOrder.ConditionalFirst)
            : output;
    }

    /// <summary>Throws a clear error for a request the model cannot serve.</summary>
    internal static void Validate(DiTGenerationRequest request, DiTConfig config)
    {
        if (request.ClassLabels.Count == 0) throw new ArgumentException("At least one class label is required.", nameof(request));
        foreach (var label in request.ClassLabels)
            if (label < 0 || label >= config.NumClasses)
                throw new ArgumentOutOfRangeException(nameof(request), $"Class label {label} is outside 0..{config.NumClasses - 1} for this model.");
        if (request.Seeds.Count != 1 && request.Seeds.Count != request.ClassLabels.Count)
            throw new ArgumentException($"Give one seed or one per image ({request.ClassLabels.Count}); got {request.Seeds.Count}.", nameof(request));
        if (request.Steps < 1 || request.Steps > 1000)
            throw new ArgumentOutOfRangeException(nameof(request), $"Steps must be within 1..1000; got {request.Steps}.");
        int size = request.Size ?? config.InputSize;
        if (size <= 0 || size % config.PatchSize != 0)
            throw new ArgumentOutOfRangeException(nameof(request), $"Size {size} must be a positive multiple of the patch size {config.PatchSize}.");
        if (request.GuidanceScale > 1.0 && !config.HasNullClass)
            throw new InvalidOperationException("This model has no null class, so classifier-free guidance is unavailable; use guidance 1.");
        long[] expected = [request.ClassLabels.Count, config.InChannels, size, size];
        if (request.InitialNoise is Tensor z && !z.shape.SequenceEqual(expected))
            throw new ArgumentException($"Initial noise shape [{string.Join(", ", z.shape)}] does not match [{string.Join(", ", expected)}].",
                nameof(request));
    }
}
