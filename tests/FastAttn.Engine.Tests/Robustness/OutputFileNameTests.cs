using System.Text;
using CsCheck;
using FastAttn.Engine.Imaging;
using Xunit;

namespace FastAttn.Engine.Tests.Robustness;

/// <summary>Output names derived from hostile prompts stay inside the output folder and within 255 UTF-8 bytes.</summary>
public sealed class OutputFileNameTests
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "fastattn-out");

    private static readonly Gen<string> Hostile = Gen.OneOf(
        Gen.String,
        Gen.Char.Array[0, 64].Select(c => new string(c)),
        Gen.OneOf("../", "..\\", "/etc/passwd", "C:\\Windows\\", "\0", "\u202e", "\u200f", "\u2066", "CON", "nul", "...", ".", "a", "\n",
            "\u00e9", "\U0001F600", "~", "%2e%2e%2f", "lpt1").Array[1, 12].Select(string.Concat),
        Gen.Const(() => new string('x', 10_000)),
        Gen.Const(() => string.Concat(Enumerable.Repeat("../", 3_000))));

    private static bool Inside(string path) =>
        Path.GetDirectoryName(path) == Path.TrimEndingDirectorySeparator(Path.GetFullPath(Folder));

    [Fact]
    public void NamesFromHostilePromptsStayInsideTheFolder()
    {
        Gen.Select(Hostile, Hostile).Sample((prompt, model) =>
        {
            var slug = OutputFileName.Slug(prompt);
            Assert.Matches("^_?[a-z0-9][a-z0-9-]{0,47}$", slug);
            var name = $"{OutputFileName.Slug(model, 40, "model")}-{slug}-seed42-20260101000000000-abcdef.png";
            var path = OutputFileName.PathIn(Folder, name);
            Assert.True(Inside(path), path);
            Assert.True(Encoding.UTF8.GetByteCount(Path.GetFileName(path)) <= OutputFileName.MaxBytes);
        }, iter: 2000, threads: 1);
    }

    [Fact]
    public void AnyNameIsEitherInsideOrRefused()
    {
        Hostile.Sample(name =>
        {
            try
            {
                var path = OutputFileName.PathIn(Folder, name);
                Assert.True(Inside(path), path);
                Assert.True(Encoding.UTF8.GetByteCount(Path.GetFileName(path)) <= OutputFileName.MaxBytes);
            }
            catch (ArgumentException)
            {
            }
        }, iter: 2000, threads: 1);
    }

    [Theory]
    [InlineData("../escape.png")]
    [InlineData("..\\escape.png")]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData("a\0b.png")]
    [InlineData("")]
    [InlineData("sub/inner.png")]
    public void PathsThatAreNotPlainNamesAreRefused(string name) =>
        Assert.Throws<ArgumentException>(() => OutputFileName.PathIn(Folder, name));

    [Theory]
    [InlineData("../../etc/passwd", "etc-passwd")]
    [InlineData("\u202eevil\u202c gnp.exe", "evil-gnp-exe")]
    [InlineData("CON", "_con")]
    [InlineData("....", "image")]
    [InlineData("A Cat, on the Mat!", "a-cat-on-the-mat")]
    public void SlugsAreShortAndHarmless(string prompt, string expected) => Assert.Equal(expected, OutputFileName.Slug(prompt));

    [Fact]
    public void TenThousandCharactersMakeAShortSlug() => Assert.Equal(48, OutputFileName.Slug(new string('q', 10_000)).Length);
}
