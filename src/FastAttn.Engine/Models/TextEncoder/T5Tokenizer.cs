using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace FastAttn.Engine.Models.TextEncoder;

/// <summary>
/// T5's tokenizer: the model's SentencePiece file (<c>spiece.model</c>, unigram) through Microsoft.ML.Tokenizers, with
/// T5's conventions — no BOS, EOS (<c>&lt;/s&gt;</c>) appended, pad id 0, truncation to the maximum length keeping the
/// EOS, padding to the maximum length with a 1/0 attention mask (as PixArt's pipeline asks: 300 tokens).
/// </summary>
public sealed class T5Tokenizer
{
    private readonly SentencePieceTokenizer _tokenizer;

    private T5Tokenizer(SentencePieceTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>PixArt-Sigma's maximum caption length.</summary>
    public const int PixArtMaxLength = 300;

    /// <summary>The padding id (T5: 0).</summary>
    public const int PadId = 0;

    /// <summary>The end-of-sentence id.</summary>
    public int EosId => _tokenizer.EndOfSentenceId;

    /// <summary>Loads a SentencePiece model file (a tokenizer folder holding <c>spiece.model</c>, or the file itself).</summary>
    public static T5Tokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = Directory.Exists(path) ? Path.Combine(path, "spiece.model") : path;
        if (!File.Exists(file))
            throw new FileNotFoundException($"No SentencePiece model at '{file}' (a T5 tokenizer folder holds spiece.model).", file);
        using var stream = File.OpenRead(file);
        return FromStream(stream, file);
    }

    /// <summary>Reads a SentencePiece model from <paramref name="stream"/>.</summary>
    public static T5Tokenizer FromStream(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            using var patched = new MemoryStream(WithBosId(copy.ToArray(), PadId));
            return new T5Tokenizer(SentencePieceTokenizer.Create(patched, false, true));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{source}' is not a SentencePiece model ({e.Message}).", e);
        }
    }

    /// <summary>
    /// T5's model has no BOS (<c>bos_id = −1</c>), which Microsoft.ML.Tokenizers 2.0's unigram loader indexes its vocabulary
    /// with. BOS is never emitted here, so the trainer spec gets <c>bos_id</c> = <paramref name="bosId"/> appended (the last
    /// value of a protobuf scalar wins); a model that has a BOS is left as it is.
    /// </summary>
    private static byte[] WithBosId(byte[] model, int bosId)
    {
        var output = new MemoryStream();
        int i = 0;
        while (i < model.Length)
        {
            int start = i;
            ulong tag = ReadVarint(model, ref i);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            switch (wire)
            {
                case 0: ReadVarint(model, ref i); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    int length = checked((int)ReadVarint(model, ref i));
                    if (length < 0 || i + length > model.Length) throw new InvalidDataException("truncated field");
                    if (field == 2 && TrainerBosId(model, i, i + length) < 0)
                    {
                        var spec = new MemoryStream();
                        spec.Write(model, i, length);
                        WriteVarint(spec, (41 << 3) | 0);
                        WriteVarint(spec, (ulong)bosId);
                        WriteVarint(output, (2 << 3) | 2);
                        WriteVarint(output, (ulong)spec.Length);
                        spec.WriteTo(output);
                        i += length;
                        continue;
                    }
                    i += length;
                    break;
                default: throw new InvalidDataException($"unexpected protobuf wire type {wire}");
            }
            if (i > model.Length) throw new InvalidDataException("truncated field");
            output.Write(model, start, i - start);
        }
        return output.ToArray();
    }

    /// <summary>The trainer spec's bos_id (field 41; 1 when absent, protobuf's declared default).</summary>
    private static long TrainerBosId(byte[] model, int start, int end)
    {
        long bos = 1;
        int i = start;
        while (i < end)
        {
            ulong tag = ReadVarint(model, ref i);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            if (wire == 0) { ulong v = ReadVarint(model, ref i); if (field == 41) bos = unchecked((int)(long)v); }
            else if (wire == 1) i += 8;
            else if (wire == 5) i += 4;
            else if (wire == 2) i += checked((int)ReadVarint(model, ref i));
            else throw new InvalidDataException($"unexpected protobuf wire type {wire}");
        }
        return bos;
    }

    private static ulong ReadVarint(byte[] data, ref int i)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (i >= data.Length) throw new InvalidDataException("truncated varint");
            byte b = data[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("varint too long");
    }

    private static void WriteVarint(Stream s, ulong v)
    {
        do { byte b = (byte)(v & 0x7F); v >>= 7; s.WriteByte(v != 0 ? (byte)(b | 0x80) : b); } while (v != 0);
    }

    /// <summary>Token ids of one text: pieces then EOS, truncated to <paramref name="maxLength"/> with the EOS kept.</summary>
    public IReadOnlyList<int> Ids(string text, int maxLength = PixArtMaxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), "The maximum length must be at least 1.");
        var ids = _tokenizer.EncodeToIds(text).ToList();
        if (ids.Count == 0 || ids[^1] != EosId) ids.Add(EosId);
        if (ids.Count > maxLength) ids = [.. ids.Take(maxLength - 1), EosId];
        return ids;
    }

    /// <summary>
    /// Token ids (B, L) and attention mask (B, L) of 1 (token) / 0 (padding) for <paramref name="texts"/>, padded with id 0
    /// to <paramref name="maxLength"/> (int64, CPU).
    /// </summary>
    public (Tensor Ids, Tensor Mask) Encode(IReadOnlyList<string> texts, int maxLength = PixArtMaxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = new long[texts.Count * maxLength];
        var mask = new long[texts.Count * maxLength];
        for (int b = 0; b < texts.Count; b++)
        {
            var row = Ids(texts[b], maxLength);
            for (int i = 0; i < row.Count; i++)
            {
                ids[b * maxLength + i] = row[i];
                mask[b * maxLength + i] = 1;
            }
        }
        return (tensor(ids, [texts.Count, maxLength]), tensor(mask, [texts.Count, maxLength]));
    }

    /// <summary>The text of <paramref name="ids"/> (special tokens and padding dropped).</summary>
    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids.Where(i => i != PadId && i != EosId)) ?? "";
}
