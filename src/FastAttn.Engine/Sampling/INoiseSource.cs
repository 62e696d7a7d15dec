using static TorchSharp.torch;

namespace FastAttn.Engine.Sampling;

/// <summary>Produces Gaussian noise for a batch, one draw per call, in a reproducible order.</summary>
public interface INoiseSource
{
    /// <summary>Draws standard normal noise of <paramref name="shape"/>; <c>shape[0]</c> is the batch size.</summary>
    Tensor Next(long[] shape, ScalarType dtype, Device device);
}
