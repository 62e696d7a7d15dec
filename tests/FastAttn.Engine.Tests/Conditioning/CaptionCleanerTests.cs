using FastAttn.Engine.Conditioning;
using Xunit;

namespace FastAttn.Engine.Tests.Conditioning;

/// <summary>
/// Caption cleaning against the reference's rules: the expected strings were produced by running diffusers'
/// <c>_clean_caption</c> regex sequence twice in Python, with its two third-party steps replaced as this implementation
/// documents (BeautifulSoup: tags removed and entities decoded; ftfy: no change on these inputs).
/// </summary>
public class CaptionCleanerTests
{
    [Theory]
    [InlineData("A photo of a CAT, https://example.com/cat.png", "a photo of a cat, .")]
    [InlineData("  A Red Fox In The Snow  ", "a red fox in the snow")]
    [InlineData("<b>Bold</b> dog &amp; cat by @someone", "bold dog cat by")]
    [InlineData("Sunset over the sea 1920x1080 wallpaper free download", "sunset over the sea wallpaper")]
    [InlineData("a-very-long-hyphenated-file_name caption", "a very long hyphenated file name caption")]
    [InlineData("“Quoted” text — with ‘dashes’ and «guillemets»", "quoted\" text - with 'dashes' and \"guillemets")]
    [InlineData("click for more: jc6640 item #12 page 3", "item")]
    [InlineData("<person> riding a horse, 192.168.0.1", "person riding a horse")]
    [InlineData("hello%20world+again", "hello world again")]
    [InlineData("a bowl of ramen, seen from above.", "a bowl of ramen, seen from above.")]
    [InlineData("漢字 mixed with english", "mixed with english")]
    [InlineData("'a single-quoted caption'", "a single-quoted caption")]
    [InlineData("price***SALE*** now|today", "price sale now today")]
    [InlineData("a.b,c/d", "a. b, c d")]
    public void CleansAsTheReference(string caption, string expected) => Assert.Equal(expected, CaptionCleaner.Preprocess(caption, clean: true));

    [Fact]
    public void WithoutCleaningOnlyLowerCasesAndTrims() => Assert.Equal("a cat, https://x.com", CaptionCleaner.Preprocess("  A Cat, https://x.com ", clean: false));
}
