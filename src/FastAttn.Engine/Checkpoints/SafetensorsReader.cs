using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Reads the tensors of a safetensors file after <see cref="SafetensorsHeader"/> has checked every dtype, shape and
/// data range against the file's size: nothing reaches libtorch before that, and the managed memory used is one buffer
/// the size of the largest tensor (never more than the file holds).
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>Name → tensor (CPU, in the stored dtype) of the file at <paramref name="path"/>.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        var header = SafetensorsHeader.Read(stream, path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, entry) in header.Entries)
            CheckpointFormatException.ThrowIfTooLarge(path, name, entry.Length);
        var buffer = new byte[header.Entries.Count == 0 ? 0 : header.Entries.Values.Max(e => e.Length)];
        try
        {
            foreach (var (name, entry) in header.Entries.OrderBy(kv => kv.Value.Begin))
            {
                int length = checked((int)entry.Length);
                stream.Position = header.DataStart + entry.Begin;
                stream.ReadExactly(buffer, 0, length);
                var tensor = empty(entry.Shape, DType(entry.DType));
                result.Add(name, tensor);
                tensor.bytes = buffer.AsSpan(0, length);
            }
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or IOException)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new CheckpointFormatException(path, $"the safetensors data could not be read ({e.Message}).", e);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    private static ScalarType DType(string name) => name switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        _ => ScalarType.Bool,
    };
}
