using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The SSIM search metric's view of a model output (<see cref="SearchMetric.Ssim"/>): the guided output the sampler
/// consumes → the scheduler's clean-sample estimate x̂₀ at this step (from the step's current sample) → the decoder
/// (each video frame alone; a model without a decoder is compared on x̂₀ itself) → [−1, 1] mapped to [0, 1]. The
/// loss is 1 − SSIM of the candidate's image against the uncompressed one's, both from the same x_t. Running the
/// rest of the denoising per candidate would cost the remaining steps for every trial and depend on choices not yet
/// made; x̂₀ is the image the model predicts at this step, what the step's error does to the result.
/// </summary>
internal sealed class SearchImageMetric
{
    private readonly Func<Tensor, Tensor> _guided;
    private readonly ILatentDecoder? _decoder;
    private IOriginalSamplePredictor? _predictor;
    private IDiffusionScheduler? _scheduler;
    private Tensor? _sample;
    private int _step;

    /// <summary>Views outputs through <paramref name="guided"/> (the sampler's model output) and decodes with <paramref name="decoder"/>.</summary>
    public SearchImageMetric(Func<Tensor, Tensor> guided, ILatentDecoder? decoder)
    {
        _guided = guided;
        _decoder = decoder;
    }

    /// <summary>The step's scheduler and current sample (the whole calibration batch; not owned).</summary>
    public void BeginSample(IDiffusionScheduler scheduler, int step, Tensor sample)
    {
        _scheduler = scheduler;
        _predictor = scheduler as IOriginalSamplePredictor;
        _step = step;
        _sample = sample;
    }

    /// <summary>The [0, 1] image a raw model output (a CFG batch when guided) leads to at this step.</summary>
    public Tensor Image(Tensor output)
    {
        if (_sample is null || _scheduler is null) throw new InvalidOperationException("The SSIM metric has no sample for this step.");
        var predictor = _predictor ?? throw new NotSupportedException(
            $"The scheduler '{_scheduler.GetType().Name}' gives no x₀ estimate, which the SSIM search metric decodes; use ddim, dpm or iddpm.");
        using var scope = NewDisposeScope();
        var guided = _guided(output).to(ScalarType.Float32);
        if (guided.shape[0] != _sample.shape[0])
            throw new InvalidOperationException($"The SSIM search metric needs the whole calibration batch ({_sample.shape[0]}) in one " +
                $"forward; this one has {guided.shape[0]}.");
        var x0 = predictor.PredictOriginal(guided, _step, _sample.to(guided.device));
        var images = _decoder is null ? x0 : DecodeFrames(x0, _decoder);
        return images.to(ScalarType.Float32).Plus(1).Over(2).clamp(Of(0), Of(1)).MoveToOuterDisposeScope();
    }

    /// <summary>1 − SSIM of the image of <paramref name="trial"/> against <paramref name="referenceImage"/> (from <see cref="Image"/>).</summary>
    public double Loss(Tensor referenceImage, Tensor trial)
    {
        using var scope = NewDisposeScope();
        return StructuralSimilarity.Loss(referenceImage, Image(trial));
    }

    /// <summary>(B, C, h, w) latents → images; (B, C, T, h, w) video latents → (B·T, 3, H, W) frames, each decoded alone.</summary>
    private static Tensor DecodeFrames(Tensor latents, ILatentDecoder decoder)
    {
        if (latents.dim() != 5) return decoder.Decode(latents);
        long b = latents.shape[0], c = latents.shape[1], t = latents.shape[2];
        return decoder.Decode(latents.permute(0, 2, 1, 3, 4).reshape(b * t, c, latents.shape[3], latents.shape[4]));
    }
}
