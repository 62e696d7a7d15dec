using FastAttn.Engine.Conditioning;
using Xunit;

namespace FastAttn.Engine.Tests.Conditioning;

public class ClassLabelsTests
{
    [Theory]
    [InlineData("207", 207)]
    [InlineData("golden retriever", 207)]
    [InlineData("  Golden   Retriever ", 207)]
    [InlineData("tench", 0)]
    [InlineData("134", 134)]
    public void ResolvesIdsAndNames(string text, int id) => Assert.Equal(id, ClassLabels.ImageNet.Resolve(text));

    [Fact]
    public void ImageNetHasAThousandNames()
    {
        Assert.Equal(1000, ClassLabels.ImageNet.Count);
        Assert.Equal("golden retriever", ClassLabels.ImageNet.NameOf(207));
    }

    [Theory]
    [InlineData("crane", new[] { 134, 517 })]
    [InlineData("maillot", new[] { 638, 639 })]
    public void DuplicatedNamesMustBeChosenById(string name, int[] ids)
    {
        var e = Assert.Throws<AmbiguousClassException>(() => ClassLabels.ImageNet.Resolve(name));
        Assert.Equal(ids, e.Ids);
        Assert.Contains("id", e.Message);
    }

    [Fact]
    public void UnknownNamesListTheClosest()
    {
        var e = Assert.Throws<UnknownClassException>(() => ClassLabels.ImageNet.Resolve("golden retreiver"));
        Assert.Contains(e.Suggestions, s => s.Id == 207);
        Assert.Contains("golden retriever (207)", e.Message);
    }

    [Fact]
    public void OutOfRangeIdsNameTheRange()
    {
        var e = Assert.Throws<UnknownClassException>(() => ClassLabels.ImageNet.Resolve("1000"));
        Assert.Contains("0..999", e.Message);
        var digits = new ClassLabels(Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray());
        Assert.Equal(7, digits.Resolve("7"));
        Assert.Throws<UnknownClassException>(() => digits.Resolve("12"));
    }
}
