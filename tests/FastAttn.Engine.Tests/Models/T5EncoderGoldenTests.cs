using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Models.TextEncoder;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Models;

/// <summary>The T5-v1.1 encoder against the t5-tiny golden (a transcription of transformers' encoder path; 1e-4 relative).</summary>
public class T5EncoderGoldenTests
{
    private const double Tolerance = 1e-4;

    private static string Weights => TestData.Golden("t5-tiny", "weights.safetensors");

    [Fact]
    public void RelativePositionBucketsMatchGolden()
    {
        var io = TestData.Load(TestData.Golden("t5-tiny", "io.safetensors"));
        using var buckets = T5RelativePosition.Buckets(io["relative_positions"]);
        Assert.True(buckets.equal(io["buckets"]).all().item<bool>());
    }

    [Fact]
    public void EncoderMatchesGoldenIncludingPaddedRows()
    {
        using var model = T5Checkpoint.Load(Weights);
        Assert.Equal(new T5Config(100, 32, 8, 4, 64, 2), model.Config);
        var io = TestData.Load(TestData.Golden("t5-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var hidden = model.forward(io["input_ids"], io["attention_mask"]);
        TensorAssert.RelativeClose(io["last_hidden_state"], hidden, Tolerance, "last_hidden_state");
    }

    [Fact]
    public void PaddingIsInvisibleToRealTokensAndBf16WeightsStayClose()
    {
        using var model = T5Checkpoint.Load(Weights);
        var io = TestData.Load(TestData.Golden("t5-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var hidden = model.forward(io["input_ids"], io["attention_mask"]);
        using var ids = io["input_ids"].clone();
        ids[1, 30..] = full(10, 7L);                                                         // different ids under sample 1's padding
        using var again = model.forward(ids, io["attention_mask"]);
        TensorAssert.RelativeClose(hidden[1, ..25], again[1, ..25], 1e-6, "real tokens of sample 1");

        using var half = T5Checkpoint.Load(Weights, ScalarType.BFloat16);                       // bf16 weights, fp32 arithmetic (default)
        using var approx = half.forward(io["input_ids"], io["attention_mask"]);
        Assert.Equal(ScalarType.Float32, approx.dtype);
        double mixed = TensorAssert.RelativeError(io["last_hidden_state"], approx);
        Assert.True(mixed < 5e-2, $"bf16 weights, fp32 compute: {mixed}");                  // bf16 rounding of the weights alone
        half.ComputeInFloat32 = false;                                                        // weight-dtype arithmetic (GPUs)
        using var lowered = half.forward(io["input_ids"], io["attention_mask"]);
        Assert.Equal(ScalarType.BFloat16, lowered.dtype);
        Assert.True(TensorAssert.RelativeError(io["last_hidden_state"], lowered.to(ScalarType.Float32)) < 1e-1);
    }

    [Fact]
    public void WrongFilesAreNamedClearly()
    {
        var dir = Directory.CreateTempSubdirectory("t5-bad").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), """{ "vocab_size": 100, "d_model": 32, "d_kv": 8, "num_heads": 4, "d_ff": 64, "num_layers": 2, "feed_forward_proj": "relu" }""");
            File.Copy(Weights, Path.Combine(dir, "model.safetensors"));
            var e = Assert.Throws<CheckpointFormatException>(() => T5Checkpoint.Load(dir));
            Assert.Contains("gated-gelu", e.Message, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "config.json"), """{ "vocab_size": 100, "d_model": 32, "d_kv": 8, "num_heads": 4, "d_ff": 64, "num_layers": 3, "feed_forward_proj": "gated-gelu" }""");
            var m = Assert.Throws<CheckpointMismatchException>(() => T5Checkpoint.Load(dir));
            Assert.Contains("encoder.block.2.layer.0.SelfAttention.q.weight", m.Missing);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
