using System.Collections.Concurrent;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>Embeds scalar diffusion timesteps into vectors: sinusoidal frequencies, then Linear → SiLU → Linear.</summary>
public sealed class TimestepEmbedder : Module<Tensor, Tensor>
{
    /// <summary>Width of the sinusoidal frequency embedding (256 in DiT).</summary>
    public const int FrequencyEmbeddingSize = 256;

    private readonly Sequential mlp;
    private readonly int _freqShift;

    /// <summary>Creates the embedder for width <paramref name="hiddenSize"/>.</summary>
    /// <param name="hiddenSize">Output width D.</param>
    /// <param name="freqShift">0 for the reference (divide by 128), 1 for diffusers (divide by 127).</param>
    public TimestepEmbedder(int hiddenSize, int freqShift = 0) : base(nameof(TimestepEmbedder))
    {
        mlp = Sequential(Linear(FrequencyEmbeddingSize, hiddenSize), SiLU(), Linear(hiddenSize, hiddenSize));
        _freqShift = freqShift;
        RegisterComponents();
    }

    /// <summary>
    /// [cos(t·f), sin(t·f)] with f_k = exp(−ln(10000)·k/(half − shift)), k = 0..half−1, computed in fp32.
    /// </summary>
    public static Tensor FrequencyEmbedding(Tensor t, int dim, int freqShift = 0)
    {
        using var scope = NewDisposeScope();
        var freqs = Frequencies(dim / 2, freqShift, t.device);                               // (1, half), computed once
        var args = t.to(ScalarType.Float32).unsqueeze(1) * freqs;                          // (N, half)
        var emb = cat([cos(args), sin(args)], 1);                                         // (N, dim)
        if (dim % 2 == 1) emb = cat([emb, zeros_like(emb[.., ..1])], 1);
        return emb.MoveToOuterDisposeScope();
    }

    /// <summary>f as a (1, half) row on <paramref name="device"/>, computed on first use (a constant; never disposed).</summary>
    private static Tensor Frequencies(int half, int freqShift, Device device) =>
        FrequencyRows.GetOrAdd((half, freqShift, device.type, device.index), _ =>
        {
            using var scope = NewDisposeScope();
            var k = Arange(half, ScalarType.Float32, device);
            var freqs = exp(k.Times(-Math.Log(10000.0)).Over(half - freqShift));                 // (half), same op order as the references
            return freqs.unsqueeze(0).MoveToOuterDisposeScope().DetachFromDisposeScope();
        });

    private static readonly ConcurrentDictionary<(int, int, DeviceType, int), Tensor> FrequencyRows = new();

    /// <summary>(N) timesteps → (N, D).</summary>
    public override Tensor forward(Tensor t)
    {
        using var scope = NewDisposeScope();
        var freq = FrequencyEmbedding(t, FrequencyEmbeddingSize, _freqShift);             // (N, 256)
        var weightDtype = mlp.parameters().First().dtype;
        return mlp.forward(freq.to(weightDtype)).MoveToOuterDisposeScope();                // (N, D)
    }
}
