using System.Text.Json;

namespace FastAttn.Engine.Checkpoints;

/// <summary>One tensor of a safetensors file: dtype, shape, and the byte range of its data (relative to the data section).</summary>
/// <param name="DType">The safetensors dtype name, e.g. "F32".</param>
/// <param name="Shape">The shape (no negative sizes; the element count fits the file).</param>
/// <param name="Begin">First byte of the data, from the start of the data section.</param>
/// <param name="End">One past the last byte.</param>
public sealed record SafetensorsEntry(string DType, long[] Shape, long Begin, long End)
{
    /// <summary>The byte count of the data.</summary>
    public long Length => End - Begin;
}

/// <summary>
/// The JSON header of a safetensors file: each tensor's dtype, shape and data range, and the free-form <c>__metadata__</c>,
/// read without loading any tensor data. Everything is checked against the file's size before anything is allocated:
/// the header length, known dtypes, element counts (no overflow), and data ranges that lie inside the file, match
/// their tensor's size and do not overlap.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The most header bytes read (the format's own limit is 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The most bytes the non-zero sizes of one shape may multiply to (2⁴⁸), so that even an empty tensor's strides fit.</summary>
    private const long MaxStrideBytes = 1L << 48;

    /// <summary>Bytes per element of each supported dtype.</summary>
    internal static readonly IReadOnlyDictionary<string, int> DTypeSizes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Tensor name → (dtype, shape), e.g. ("F32", [96, 4, 2, 2]).</summary>
    public IReadOnlyDictionary<string, (string DType, long[] Shape)> Tensors { get; }

    /// <summary>Tensor name → its full entry, including its data range.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    /// <summary>String metadata stored by the writer (may be empty).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Where the data section starts in the file (8 + header length).</summary>
    public long DataStart { get; }

    private SafetensorsHeader(Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Entries = entries;
        Tensors = entries.ToDictionary(kv => kv.Key, kv => (kv.Value.DType, kv.Value.Shape));
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>Reads the header of <paramref name="path"/>; throws <see cref="CheckpointFormatException"/> on a corrupt file.</summary>
    public static SafetensorsHeader Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads the header from the start of <paramref name="stream"/> (a seekable stream holding the whole file).</summary>
    public static SafetensorsHeader Read(Stream stream, string path)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) != 8)
            throw new CheckpointFormatException(path, "file is shorter than a safetensors header.");
        ulong length = BitConverter.ToUInt64(lengthBytes);
        long fileLength = stream.Length;
        if (length < 2 || length > MaxHeaderBytes || (long)length > fileLength - 8)
            throw new CheckpointFormatException(path, $"invalid safetensors header length {length} (the file holds {fileLength} bytes).");
        var json = new byte[length];
        stream.ReadExactly(json);
        long dataStart = 8 + (long)length;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            return Parse(doc.RootElement, path, dataStart, fileLength - dataStart);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new CheckpointFormatException(path, $"the safetensors header is not valid ({e.Message}).", e);
        }
    }

    private static SafetensorsHeader Parse(JsonElement root, string path, long dataStart, long dataLength)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException(path, "the safetensors header is not a JSON object.");
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                if (prop.Value.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException(path, "__metadata__ is not an object.");
                foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.ToString();
                continue;
            }
            if (!entries.TryAdd(prop.Name, Entry(prop.Name, prop.Value, path, dataLength)))
                throw new CheckpointFormatException(path, $"tensor '{prop.Name}' is listed twice.");
        }
        CheckNoOverlap(entries, path);
        return new SafetensorsHeader(entries, metadata, dataStart);
    }

    private static SafetensorsEntry Entry(string name, JsonElement value, string path, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException(path, $"tensor '{name}' is not an object.");
        var dtype = value.TryGetProperty("dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
        if (!DTypeSizes.TryGetValue(dtype, out int size))
            throw new CheckpointFormatException(path,
                $"tensor '{name}' has unsupported dtype '{dtype}' (supported: {string.Join(", ", DTypeSizes.Keys)}).");
        var shape = Longs(value, "shape", name, path);
        if (shape.Length > 16) throw new CheckpointFormatException(path, $"tensor '{name}' has {shape.Length} dimensions (at most 16).");
        long bytes = size, strideBytes = size;                                  // strideBytes: product of the non-zero sizes
        foreach (var s in shape)
        {
            if (s < 0) throw new CheckpointFormatException(path, $"tensor '{name}' has a negative size in its shape.");
            if (s != 0 && bytes > dataLength / s)
                throw new CheckpointFormatException(path, $"tensor '{name}' claims more data than the file holds ({dataLength} bytes).");
            if (s != 0 && strideBytes > MaxStrideBytes / s)                      // an empty tensor's strides must not overflow either
                throw new CheckpointFormatException(path, $"tensor '{name}' has a shape whose sizes multiply past {MaxStrideBytes} bytes.");
            bytes *= s;
            if (s != 0) strideBytes *= s;
        }
        var offsets = Longs(value, "data_offsets", name, path);
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            throw new CheckpointFormatException(path,
                $"tensor '{name}' has data offsets [{string.Join(", ", offsets)}] outside the data section of {dataLength} bytes.");
        if (offsets[1] - offsets[0] != bytes)
            throw new CheckpointFormatException(path,
                $"tensor '{name}' spans {offsets[1] - offsets[0]} bytes but its dtype and shape need {bytes}.");
        return new SafetensorsEntry(dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] Longs(JsonElement value, string property, string name, string path)
    {
        if (!value.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() > 64)
            throw new CheckpointFormatException(path, $"tensor '{name}' has no valid '{property}' array.");
        var result = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out result[i++]))
                throw new CheckpointFormatException(path, $"tensor '{name}' has a '{property}' entry that is not a 64-bit integer.");
        }
        return result;
    }

    private static void CheckNoOverlap(Dictionary<string, SafetensorsEntry> entries, string path)
    {
        SafetensorsEntry? previous = null;
        string? previousName = null;
        foreach (var (name, e) in entries.Where(kv => kv.Value.Length > 0).OrderBy(kv => kv.Value.Begin))
        {
            if (previous is not null && e.Begin < previous.End)
                throw new CheckpointFormatException(path, $"the data of tensors '{previousName}' and '{name}' overlap.");
            previous = e;
            previousName = name;
        }
    }
}
