using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Sampling;

/// <summary>
/// Noise with one generator per sample, so a sample's noise depends only on its own seed and not on the batch it
/// is generated in: the same seed gives the same image alone or inside a batch. Draws happen on the CPU in fp32
/// (bit-identical across devices) and are then moved to the requested device and dtype.
/// </summary>
public sealed class PerSampleNoise : INoiseSource, IDisposable
{
    private readonly torch.Generator[] _generators;

    /// <summary>Creates one generator per seed; the batch size is the number of seeds.</summary>
    public PerSampleNoise(IReadOnlyList<long> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0) throw new ArgumentException("At least one seed is required.", nameof(seeds));
        _generators = seeds.Select(s => new torch.Generator(unchecked((ulong)s), torch.CPU)).ToArray();
    }

    /// <summary>The batch size this source serves.</summary>
    public int BatchSize => _generators.Length;

    /// <inheritdoc />
    public Tensor Next(long[] shape, ScalarType dtype, Device device)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape[0] != _generators.Length)
            throw new ArgumentException(
                $"Noise batch {(shape.Length == 0 ? 0 : shape[0])} does not match the {_generators.Length} seeds.", nameof(shape));
        using var scope = torch.NewDisposeScope();
        var one = shape.Skip(1).Prepend(1L).ToArray();
        var parts = _generators.Select(g => torch.randn(one, ScalarType.Float32, torch.CPU, generator: g)).ToArray();
        var noise = torch.cat(parts, 0).to(dtype, device);
        return noise.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var g in _generators) g.Dispose();
    }
}
