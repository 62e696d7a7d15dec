namespace FastAttn.Engine.Tests.Support;

/// <summary>A tiny T5-style unigram SentencePiece model, written as its protobuf by hand (no Python needed).</summary>
public static class TinySentencePiece
{
    /// <summary>The vocabulary: T5's pad 0, eos 1, unk 2, then a few words and characters.</summary>
    public static readonly (string Piece, float Score, int Type)[] Vocabulary =
    [
        ("<pad>", 0, 3), ("</s>", 0, 3), ("<unk>", 0, 2),
        ("▁a", -1, 1), ("▁cat", -2, 1), ("▁on", -2, 1), ("▁the", -2, 1), ("▁mat", -3, 1), ("▁", -4, 1),
        ("a", -5, 1), ("c", -5, 1), ("t", -5, 1), ("m", -5, 1), ("o", -5, 1), ("n", -5, 1), ("h", -5, 1), ("e", -5, 1), ("s", -5, 1),
    ];

    /// <summary>sentencepiece_model.proto: pieces (1), trainer_spec (2: model_type 3, unk/bos/eos/pad ids 40–43), normalizer_spec (3).</summary>
    public static byte[] ModelProto()
    {
        var model = new MemoryStream();
        foreach (var (piece, score, type) in Vocabulary)
        {
            var p = new MemoryStream();
            Bytes(p, 1, System.Text.Encoding.UTF8.GetBytes(piece));
            Fixed32(p, 2, score);
            Varint(p, 3, type);
            Bytes(model, 1, p.ToArray());
        }
        var trainer = new MemoryStream();
        Varint(trainer, 3, 1);                                                               // UNIGRAM
        Varint(trainer, 40, 2);                                                              // unk_id
        Varint(trainer, 41, -1);                                                             // bos_id: none
        Varint(trainer, 42, 1);                                                              // eos_id
        Varint(trainer, 43, 0);                                                              // pad_id
        Bytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        Bytes(normalizer, 1, "identity"u8.ToArray());
        Varint(normalizer, 3, 1);                                                            // add_dummy_prefix
        Varint(normalizer, 4, 1);                                                            // remove_extra_whitespaces
        Varint(normalizer, 5, 1);                                                            // escape_whitespaces
        Bytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    private static void Tag(Stream s, int field, int wire) => Raw(s, (ulong)((field << 3) | wire));

    private static void Raw(Stream s, ulong v)
    {
        do { byte b = (byte)(v & 0x7F); v >>= 7; s.WriteByte(v != 0 ? (byte)(b | 0x80) : b); } while (v != 0);
    }

    private static void Varint(Stream s, int field, long value) { Tag(s, field, 0); Raw(s, unchecked((ulong)value)); }

    private static void Fixed32(Stream s, int field, float value) { Tag(s, field, 5); s.Write(BitConverter.GetBytes(value)); }

    private static void Bytes(Stream s, int field, byte[] data) { Tag(s, field, 2); Raw(s, (ulong)data.Length); s.Write(data); }
}
