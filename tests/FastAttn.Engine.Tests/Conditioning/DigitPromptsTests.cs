using FastAttn.Engine.Conditioning;
using Xunit;

namespace FastAttn.Engine.Tests.Conditioning;

public class DigitPromptsTests
{
    [Theory]
    [InlineData("7", 7)]
    [InlineData("digit 7", 7)]
    [InlineData("a handwritten seven", 7)]
    [InlineData("Draw the number Zero please", 0)]
    [InlineData("3 (three)", 3)]
    public void MapsPromptsToDigits(string prompt, int digit) => Assert.Equal(digit, DigitPrompts.Parse(prompt));

    [Theory]
    [InlineData("a golden retriever")]
    [InlineData("12")]
    [InlineData("seven or eight")]
    [InlineData("")]
    public void OtherPromptsAreAClearError(string prompt)
    {
        var e = Assert.Throws<UnknownClassException>(() => DigitPrompts.Parse(prompt));
        Assert.Contains("digit", e.Message);
    }
}
