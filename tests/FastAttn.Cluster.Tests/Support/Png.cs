using Xunit;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>Checks of result files.</summary>
internal static class Png
{
    /// <summary>Asserts <paramref name="path"/> is a PNG ImageSharp decodes, <paramref name="side"/> pixels square.</summary>
    public static void AssertValid(string path, int side = 32)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', $"{path} is not a PNG");
        using var image = SixLabors.ImageSharp.Image.Load(bytes);
        Assert.Equal(side, image.Width);
        Assert.Equal(side, image.Height);
    }
}
