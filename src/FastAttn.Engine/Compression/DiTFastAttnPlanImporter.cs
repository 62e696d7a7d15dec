using System.IO.Compression;
using System.Numerics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression.Pickle;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Imports the official DiTFastAttn repository's plan cache (<c>cache/…_{steps}_{calib}_{δ}_…​.json</c>): despite the name it
/// is <c>torch.save</c> of a list with one dict per block, <c>{"attn1": [method per step], "attn2": None, "ff": None}</c>,
/// with the reference's method names (full_attn, output_share, residual_window_attn+cfg_attn_share, …). Both torch.save
/// layouts are read (the zip archive with <c>data.pkl</c>, and the legacy stream of pickles), through
/// <see cref="PlainPickleReader"/>: nothing in the file is executed, and a pickle that imports or calls anything is refused.
/// The cache stores no model, size, scheduler or threshold: the caller gives the key.
/// </summary>
public static class DiTFastAttnPlanImporter
{
    private const long MaxBytes = 64L << 20;
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="path"/> starts like a torch.save file or a pickle (not like JSON).</summary>
    public static bool LooksLikePickle(string path)
    {
        using var stream = File.OpenRead(path);
        int first = stream.ReadByte();
        return first is 0x80 or 'P';                                                            // pickle PROTO, or a zip's "PK"
    }

    /// <summary>Reads <paramref name="path"/> into a plan with <paramref name="key"/>.</summary>
    public static CompressionPlan Import(string path, PlanKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (new FileInfo(path) is { Exists: true, Length: > MaxBytes } info)
            throw new PlanFormatException(path, $"{info.Length} bytes is too large for a plan cache (at most {MaxBytes}).");
        object? root;
        try { root = ReadTorchSave(File.ReadAllBytes(path)); }
        catch (Exception e) when (e is InvalidDataException or UnsafePickleException)
        {
            throw new PlanFormatException(path, $"not a DiTFastAttn plan cache: {e.Message}", e);
        }
        var blocks = root as List<object?> ?? throw new PlanFormatException(path, "the cache holds no list of blocks.");
        if (blocks.Count == 0) throw new PlanFormatException(path, "the cache lists no blocks.");
        var methods = Enumerable.Range(0, key.Steps).Select(_ => new AttentionMethod[blocks.Count]).ToArray();
        for (int b = 0; b < blocks.Count; b++)
        {
            if (blocks[b] is not Dictionary<object, object?> block) throw new PlanFormatException(path, $"block {b} is not a dict.");
            foreach (var other in new[] { "attn2", "ff" })
                if (block.GetValueOrDefault(other) is not null) throw new PlanFormatException(path,
                    $"block {b} compresses '{other}' too; only self-attention (attn1) plans can be imported.");
            if (block.GetValueOrDefault("attn1") is not List<object?> steps)
                throw new PlanFormatException(path, $"block {b} has no 'attn1' list of methods.");
            if (steps.Count != key.Steps)
                throw new PlanFormatException(path, $"block {b} lists {steps.Count} steps; the key says {key.Steps}.");
            for (int s = 0; s < steps.Count; s++)
            {
                if (steps[s] is not string name) throw new PlanFormatException(path, $"block {b} step {s} is not a method name.");
                try { methods[s][b] = AttentionMethods.Parse(name); }
                catch (FormatException e) { throw new PlanFormatException(path, $"block {b} step {s}: {e.Message}", e); }
            }
        }
        return new CompressionPlan(key, methods);
    }

    /// <summary>The object torch.save wrote: from a zip archive's <c>*/data.pkl</c>, or the legacy stream's fourth pickle.</summary>
    private static object? ReadTorchSave(byte[] bytes)
    {
        if (bytes.Length >= 2 && bytes[0] == 'P' && bytes[1] == 'K') return PlainPickleReader.Read(DataPickle(bytes));
        int position = 0;
        var first = PlainPickleReader.Read(bytes, ref position);
        if (position == bytes.Length) return first;                                              // a plain pickle.dump
        if (first is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidDataException("several pickles, but not torch.save's legacy layout (no magic number).");
        PlainPickleReader.Read(bytes, ref position);                                              // protocol version
        PlainPickleReader.Read(bytes, ref position);                                              // sys info
        return PlainPickleReader.Read(bytes, ref position);                                       // the object (storages follow)
    }

    private static byte[] DataPickle(byte[] zip)
    {
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
            var entries = archive.Entries.Where(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).ToList();
            if (entries.Count != 1) throw new InvalidDataException($"the archive has {entries.Count} data.pkl entries (torch.save writes one).");
            if (entries[0].Length > MaxBytes) throw new InvalidDataException("data.pkl is too large for a plan.");
            using var stream = entries[0].Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        catch (Exception e) when (e is not InvalidDataException) { throw new InvalidDataException($"unreadable zip archive ({e.Message}).", e); }
    }
}
