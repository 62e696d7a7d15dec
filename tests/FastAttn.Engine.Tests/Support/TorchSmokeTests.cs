using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Support;

public class TorchSmokeTests
{
    [Fact]
    public void NativeLibraryLoadsAndComputes()
    {
        using var a = ones(2, 3);
        using var s = a.sum();
        Assert.Equal(6f, s.item<float>());
    }
}
