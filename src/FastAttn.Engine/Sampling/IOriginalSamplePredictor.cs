using static TorchSharp.torch;

namespace FastAttn.Engine.Sampling;

/// <summary>
/// A scheduler that can say, for a model output at a step, which clean sample x̂₀ it predicts — the estimate it steps
/// towards (with its clipping, when it clips). The SSIM plan-search metric decodes this estimate at every step.
/// </summary>
internal interface IOriginalSamplePredictor
{
    /// <summary>
    /// The predicted x̂₀ for the (guided) <paramref name="modelOutput"/> (its first <c>sample.shape[1]</c> channels are ε)
    /// at step <paramref name="stepIndex"/> with current sample <paramref name="sample"/>; a new tensor the caller owns.
    /// </summary>
    Tensor PredictOriginal(Tensor modelOutput, int stepIndex, Tensor sample);
}
