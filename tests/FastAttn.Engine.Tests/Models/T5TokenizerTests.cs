using FastAttn.Engine.Models.TextEncoder;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Models;

/// <summary>T5's tokenizer conventions on a tiny unigram SentencePiece model written here (its protobuf, by hand).</summary>
public class T5TokenizerTests
{
    private static T5Tokenizer Tokenizer()
    {
        using var stream = new MemoryStream(TinySentencePiece.ModelProto());
        return T5Tokenizer.FromStream(stream);
    }

    [Fact]
    public void TextBecomesPiecesThenEosAndPadsToTheMaximumWithAMask()
    {
        var tokenizer = Tokenizer();
        Assert.Equal([3, 4, 5, 6, 7, 1], tokenizer.Ids("a cat on the mat"));
        Assert.Equal([4, 17, 1], tokenizer.Ids("cats"));                                    // the best-scoring split: ▁cat + s
        Assert.Equal([8, 10, 15, 9, 11, 1], tokenizer.Ids("chat"));                         // unseen word: ▁ + characters
        Assert.Equal([1], tokenizer.Ids(""));                                               // the empty negative prompt: just EOS
        var (ids, mask) = tokenizer.Encode(["a cat", "the mat on a cat"], maxLength: 8);
        Assert.Equal(new long[] { 2, 8 }, ids.shape);
        Assert.Equal(new long[] { 3, 4, 1, 0, 0, 0, 0, 0 }, ids[0].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 0, 0, 0, 0, 0 }, mask[0].data<long>().ToArray());
        Assert.Equal(new long[] { 6, 7, 5, 3, 4, 1, 0, 0 }, ids[1].data<long>().ToArray());
        Assert.Equal("a cat", tokenizer.Decode([3, 4, 1, 0]));
    }

    [Fact]
    public void LongTextIsTruncatedKeepingTheEos()
    {
        var ids = Tokenizer().Ids(string.Join(' ', Enumerable.Repeat("cat", 400)), T5Tokenizer.PixArtMaxLength);
        Assert.Equal(T5Tokenizer.PixArtMaxLength, ids.Count);
        Assert.Equal(1, ids[^1]);
        Assert.All(ids.Take(299), id => Assert.Equal(4, id));
    }

    [Fact]
    public void NotASentencePieceFileIsAClearError()
    {
        using var stream = new MemoryStream("not a model"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => T5Tokenizer.FromStream(stream, "junk.model"));
        Assert.Contains("junk.model", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => T5Tokenizer.Load("/nonexistent/tokenizer"));
    }
}
