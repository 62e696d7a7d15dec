using System.Text;
using System.Text.Json;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// The JSON header of a safetensors file: each tensor's dtype and shape, and the free-form <c>__metadata__</c>,
/// read without loading any tensor data.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>Tensor name → (dtype, shape), e.g. ("F32", [96, 4, 2, 2]).</summary>
    public IReadOnlyDictionary<string, (string DType, long[] Shape)> Tensors { get; }

    /// <summary>String metadata stored by the writer (may be empty).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafetensorsHeader(Dictionary<string, (string, long[])> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Reads the header of <paramref name="path"/>; throws <see cref="CheckpointFormatException"/> on a corrupt file.</summary>
    public static SafetensorsHeader Read(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Read(lengthBytes) != 8) throw new CheckpointFormatException(path, "file is shorter than a safetensors header.");
        ulong length = BitConverter.ToUInt64(lengthBytes);
        if (length == 0 || length > 100_000_000 || (long)length > stream.Length - 8)
            throw new CheckpointFormatException(path, $"invalid safetensors header length {length}.");
        var json = new byte[length];
        stream.ReadExactly(json);
        var tensors = new Dictionary<string, (string, long[])>();
        var metadata = new Dictionary<string, string>();
        try
        {
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(json));
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.ToString();
                    continue;
                }
                var dtype = prop.Value.GetProperty("dtype").GetString() ?? "";
                var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                tensors[prop.Name] = (dtype, shape);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CheckpointFormatException(path, "the safetensors header is not valid JSON.", e);
        }
        return new SafetensorsHeader(tensors, metadata);
    }
}
