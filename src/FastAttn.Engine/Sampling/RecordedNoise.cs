using static TorchSharp.torch;

namespace FastAttn.Engine.Sampling;

/// <summary>Replays recorded noise draws in order (used to reproduce a reference run exactly).</summary>
public sealed class RecordedNoise : INoiseSource
{
    private readonly Tensor _draws;
    private long _next;

    /// <summary>Wraps <paramref name="draws"/>, shaped (count, ...shape of one draw).</summary>
    public RecordedNoise(Tensor draws) => _draws = draws ?? throw new ArgumentNullException(nameof(draws));

    /// <inheritdoc />
    public Tensor Next(long[] shape, ScalarType dtype, Device device)
    {
        if (_next >= _draws.shape[0]) throw new InvalidOperationException($"Only {_draws.shape[0]} recorded noise draws are available.");
        var draw = _draws[_next++];
        if (!draw.shape.SequenceEqual(shape))
            throw new ArgumentException($"Recorded noise has shape [{string.Join(", ", draw.shape)}], asked for [{string.Join(", ", shape)}].");
        return draw.to(dtype, device);
    }
}
