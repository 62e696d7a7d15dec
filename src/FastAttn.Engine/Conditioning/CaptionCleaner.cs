using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace FastAttn.Engine.Conditioning;

/// <summary>
/// The caption cleaning PixArt's pipelines apply to prompts before T5 (diffusers' <c>clean_caption=True</c>, the default;
/// applied twice, as there): URL-decoding, lower case, URLs, HTML tags and entities, @handles, CJK ideographs, dash and
/// quote normalisation, IP addresses, ids and long numbers, file names, runs of punctuation, shop boilerplate ("free
/// shipping", "click for …"), alphanumeric codes, sizes like 1920x1080, spacing after punctuation, and stray quotes or
/// punctuation at the ends. Two steps of the reference rely on Python packages and are approximated: BeautifulSoup's
/// text extraction (tags removed, entities decoded) and ftfy's mojibake repair (Unicode NFC normalisation).
/// </summary>
public static partial class CaptionCleaner
{
    /// <summary>The prompt as the reference feeds it to T5: cleaned twice, or only lower-cased and trimmed.</summary>
    public static string Preprocess(string text, bool clean)
    {
        ArgumentNullException.ThrowIfNull(text);
        return clean ? Clean(Clean(text)) : text.ToLowerInvariant().Trim();
    }

    /// <summary>One pass of the cleaning.</summary>
    public static string Clean(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var c = WebUtility.UrlDecode(caption).Trim().ToLowerInvariant();
        c = c.Replace("<person>", "person", StringComparison.Ordinal);
        c = Url().Replace(c, "");
        c = WwwUrl().Replace(c, "");
        c = WebUtility.HtmlDecode(HtmlTag().Replace(c, ""));                              // BeautifulSoup(...).text
        c = Handle().Replace(c, "");
        c = Cjk().Replace(c, "");
        c = Dashes().Replace(c, "-");
        c = DoubleQuotes().Replace(c, "\"");
        c = SingleQuotes().Replace(c, "'");
        c = Quot().Replace(c, "");
        c = c.Replace("&amp", "", StringComparison.Ordinal);
        c = IpAddress().Replace(c, " ");
        c = ArticleId().Replace(c, "");
        c = c.Replace("\\n", " ", StringComparison.Ordinal);                              // a literal backslash-n
        c = ShortHashNumber().Replace(c, "");
        c = LongHashNumber().Replace(c, "");
        c = LongNumber().Replace(c, "");
        c = FileName().Replace(c, "");
        c = RepeatedQuotes().Replace(c, "\"");
        c = RepeatedDots().Replace(c, " ");
        c = BadPunctuation().Replace(c, " ");
        c = LoneDot().Replace(c, " ");
        if (DashOrUnderscore().Count(c) > 3) c = DashOrUnderscore().Replace(c, " ");       // this-is-my-cute-cat
        c = c.Normalize(NormalizationForm.FormC);                                          // ftfy.fix_text, approximated
        c = WebUtility.HtmlDecode(WebUtility.HtmlDecode(c));
        c = LettersThenDigits().Replace(c, "");                                            // jc6640
        c = LettersDigitsLetters().Replace(c, "");                                         // jc6640vc
        c = DigitsLettersDigits().Replace(c, "");                                          // 6640vc231
        c = Shipping().Replace(c, "");
        c = Download().Replace(c, "");
        c = ClickFor().Replace(c, "");
        c = ImageWords().Replace(c, "");
        c = PageNumber().Replace(c, "");
        c = MixedCode().Replace(c, " ");                                                   // j2d1a2a…
        c = Dimensions().Replace(c, "");
        c = SpacedColon().Replace(c, ": ");
        c = PunctuationSpacing().Replace(c, "$1 ");
        c = Whitespace().Replace(c, " ");
        c = Quoted().Replace(c, "$1");
        c = LeadingPunctuation().Replace(c, "");
        c = TrailingPunctuation().Replace(c, "");
        c = DotWord().Replace(c, "");
        return c.Trim();
    }

    [GeneratedRegex(@"\b((?:https?:(?:\/{1,3}|[a-zA-Z0-9%])|[a-zA-Z0-9.\-]+[.](?:com|co|ru|net|org|edu|gov|it)[\w/-]*\b\/?(?!@)))")]
    private static partial Regex Url();

    [GeneratedRegex(@"\b((?:www:(?:\/{1,3}|[a-zA-Z0-9%])|[a-zA-Z0-9.\-]+[.](?:com|co|ru|net|org|edu|gov|it)[\w/-]*\b\/?(?!@)))")]
    private static partial Regex WwwUrl();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"@[\w\d]+\b")]
    private static partial Regex Handle();

    [GeneratedRegex(@"[\u31c0-\u31ef\u31f0-\u31ff\u3200-\u32ff\u3300-\u33ff\u3400-\u4dbf\u4dc0-\u4dff\u4e00-\u9fff]+")]
    private static partial Regex Cjk();

    [GeneratedRegex(@"[\u002D\u058A\u05BE\u1400\u1806\u2010-\u2015\u2E17\u2E1A\u2E3A\u2E3B\u2E40\u301C\u3030\u30A0\uFE31\uFE32\uFE58\uFE63\uFF0D]+")]
    private static partial Regex Dashes();

    [GeneratedRegex("[`´«»“”¨]")]
    private static partial Regex DoubleQuotes();

    [GeneratedRegex("[‘’]")]
    private static partial Regex SingleQuotes();

    [GeneratedRegex("&quot;?")]
    private static partial Regex Quot();

    [GeneratedRegex(@"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")]
    private static partial Regex IpAddress();

    [GeneratedRegex(@"\d:\d\d\s+$")]
    private static partial Regex ArticleId();

    [GeneratedRegex(@"#\d{1,3}\b")]
    private static partial Regex ShortHashNumber();

    [GeneratedRegex(@"#\d{5,}\b")]
    private static partial Regex LongHashNumber();

    [GeneratedRegex(@"\b\d{6,}\b")]
    private static partial Regex LongNumber();

    [GeneratedRegex(@"[\S]+\.(?:png|jpg|jpeg|bmp|webp|eps|pdf|apk|mp4)")]
    private static partial Regex FileName();

    [GeneratedRegex(@"[""']{2,}")]
    private static partial Regex RepeatedQuotes();

    [GeneratedRegex(@"[\.]{2,}")]
    private static partial Regex RepeatedDots();

    [GeneratedRegex(@"[#®•©™&@·º½¾¿¡§~\)\(\]\[\}\{\|\\\/\*]{1,}")]
    private static partial Regex BadPunctuation();

    [GeneratedRegex(@"\s+\.\s+")]
    private static partial Regex LoneDot();

    [GeneratedRegex("[-_]")]
    private static partial Regex DashOrUnderscore();

    [GeneratedRegex(@"\b[a-zA-Z]{1,3}\d{3,15}\b")]
    private static partial Regex LettersThenDigits();

    [GeneratedRegex(@"\b[a-zA-Z]+\d+[a-zA-Z]+\b")]
    private static partial Regex LettersDigitsLetters();

    [GeneratedRegex(@"\b\d+[a-zA-Z]+\d+\b")]
    private static partial Regex DigitsLettersDigits();

    [GeneratedRegex(@"(worldwide\s+)?(free\s+)?shipping")]
    private static partial Regex Shipping();

    [GeneratedRegex(@"(free\s)?download(\sfree)?")]
    private static partial Regex Download();

    [GeneratedRegex(@"\bclick\b\s(?:for|on)\s\w+")]
    private static partial Regex ClickFor();

    [GeneratedRegex(@"\b(?:png|jpg|jpeg|bmp|webp|eps|pdf|apk|mp4)(\simage[s]?)?")]
    private static partial Regex ImageWords();

    [GeneratedRegex(@"\bpage\s+\d+\b")]
    private static partial Regex PageNumber();

    [GeneratedRegex(@"\b\d*[a-zA-Z]+\d+[a-zA-Z]+\d+[a-zA-Z\d]*\b")]
    private static partial Regex MixedCode();

    [GeneratedRegex(@"\b\d+\.?\d*[xх×]\d+\.?\d*\b")]
    private static partial Regex Dimensions();

    [GeneratedRegex(@"\b\s+\:\s+")]
    private static partial Regex SpacedColon();

    [GeneratedRegex(@"(\D[,\./])\b")]
    private static partial Regex PunctuationSpacing();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^[""']([\w\W]+)[""']$")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"^['_,\-:;]")]
    private static partial Regex LeadingPunctuation();

    [GeneratedRegex(@"['_,\-:\-\+]$")]
    private static partial Regex TrailingPunctuation();

    [GeneratedRegex(@"^\.\S+$")]
    private static partial Regex DotWord();
}
