using static TorchSharp.torch;

namespace FastAttn.Engine.Sampling;

/// <summary>A noise source for deterministic schedulers: asking it for noise is a programming error.</summary>
public sealed class NoNoise : INoiseSource
{
    /// <summary>The shared instance.</summary>
    public static NoNoise Instance { get; } = new();

    private NoNoise() { }

    /// <inheritdoc />
    public Tensor Next(long[] shape, ScalarType dtype, Device device) =>
        throw new InvalidOperationException("This scheduler was given no noise source, but it needs one.");
}
