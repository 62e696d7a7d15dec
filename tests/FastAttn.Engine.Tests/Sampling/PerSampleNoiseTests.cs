using FastAttn.Engine.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Sampling;

public class PerSampleNoiseTests
{
    [Fact]
    public void ASampleDependsOnlyOnItsSeed()
    {
        using var alone = new PerSampleNoise([42]);
        using var batch = new PerSampleNoise([7, 42]);
        using var a = alone.Next([1, 2, 3, 3], ScalarType.Float32, CPU);
        using var b = batch.Next([2, 2, 3, 3], ScalarType.Float32, CPU);
        using var a2 = alone.Next([1, 2, 3, 3], ScalarType.Float32, CPU);
        using var b2 = batch.Next([2, 2, 3, 3], ScalarType.Float32, CPU);
        Assert.True(a.equal(b[1..2]).all().item<bool>());
        Assert.True(a2.equal(b2[1..2]).all().item<bool>());
        Assert.False(a.equal(a2).all().item<bool>());
        using var again = new PerSampleNoise([42]);
        using var c = again.Next([1, 2, 3, 3], ScalarType.Float32, CPU);
        Assert.True(a.equal(c).all().item<bool>());
    }
}
