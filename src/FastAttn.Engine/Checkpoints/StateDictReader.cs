using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Reads a state dict (name → tensor) from a PyTorch <c>torch.save</c> zip file, a safetensors file, or a sharded
/// safetensors index. Training checkpoints that wrap the weights ({"ema": …}, {"model": …}, {"state_dict": …})
/// are unwrapped (EMA weights preferred), and DDP/compile prefixes are stripped.
/// </summary>
public static class StateDictReader
{
    private static readonly string[] WrapperKeys = ["ema", "model", "state_dict", "module", "net"];

    /// <summary>Reads <paramref name="path"/>. fp16/bf16 tensors are upcast to fp32 when <paramref name="upcastToFloat32"/>.</summary>
    public static Dictionary<string, Tensor> Read(string path, bool upcastToFloat32 = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint file '{path}' does not exist.", path);
        Dictionary<string, Tensor> dict;
        if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) dict = ReadSharded(path);
        else
        {
            var kind = Detect(path);
            dict = kind switch
            {
                FileKind.TorchZip => ReadTorchZip(path),
                FileKind.Safetensors => ReadSafetensors(path),
                _ => throw new CheckpointFormatException(path,
                    "not a torch.save zip archive nor a safetensors file " +
                    "(legacy non-zip torch pickles are not supported: re-save with torch.save in PyTorch ≥ 1.6)."),
            };
        }
        if (upcastToFloat32) UpcastInPlace(dict);
        return dict;
    }

    /// <summary>The on-disk format of <paramref name="path"/>, from its first bytes.</summary>
    internal static FileKind Detect(string path)
    {
        using var s = File.OpenRead(path);
        var head = new byte[9];
        int n = s.Read(head, 0, head.Length);
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return FileKind.TorchZip;
        if (n == 9 && head[8] == (byte)'{') return FileKind.Safetensors;
        return FileKind.Unknown;
    }

    private static Dictionary<string, Tensor> ReadSafetensors(string path) => SafetensorsReader.Read(path);

    private static Dictionary<string, Tensor> ReadSharded(string indexPath)
    {
        var shards = new List<string>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(indexPath, "the index has no weight_map object.");
            foreach (var p in map.EnumerateObject())
            {
                var shard = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
                // A shard is a file beside the index: no folders, no '..', no absolute paths.
                if (shard.Length == 0 || Path.GetFileName(shard) != shard || shard is "." or ".." || shard.Contains('\\'))
                    throw new CheckpointFormatException(indexPath, $"tensor '{p.Name}' names shard '{shard}', which is not a file name.");
                if (!shards.Contains(shard)) shards.Add(shard);
            }
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(indexPath, $"the index is not valid JSON ({e.Message}).", e);
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var shard in shards)
            {
                var shardPath = Path.Combine(dir, shard);
                if (!File.Exists(shardPath)) throw new CheckpointFormatException(indexPath, $"shard '{shard}' is missing.");
                foreach (var (k, v) in ReadSafetensors(shardPath))
                {
                    if (result.Remove(k, out var old)) old.Dispose();
                    result[k] = v;
                }
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    private static Dictionary<string, Tensor> ReadTorchZip(string path)
    {
        var (root, made) = TorchZipReader.Read(path);
        Dictionary<string, Tensor> dict;
        try
        {
            dict = root is Dictionary<object, object?> table ? Unwrap(table, path)
                : throw new CheckpointFormatException(path, "the archive does not hold a dict of tensors.");
        }
        catch
        {
            foreach (var t in made) t.Dispose();
            throw;
        }
        var kept = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var key in dict.Keys.ToList())
            if (!kept.Add(dict[key])) dict[key] = dict[key].alias();                 // one tensor under two keys (tied weights)
        foreach (var t in made.Where(t => !kept.Contains(t))) t.Dispose();
        return StripPrefixes(dict);
    }

    private static Dictionary<string, Tensor> Unwrap(Dictionary<object, object?> table, string path)
    {
        // Iterative with a depth limit: a crafted pickle can nest wrappers far deeper than any stack.
        for (int depth = 0; depth < 8; depth++)
        {
            var tensors = new Dictionary<string, Tensor>();
            foreach (var (key, value) in table)
                if (key is string k && value is Tensor t) tensors[k] = t;
            if (tensors.Count > 0) return tensors;
            var inner = WrapperKeys.Select(k => table.GetValueOrDefault(k)).OfType<Dictionary<object, object?>>().FirstOrDefault();
            if (inner is null) break;
            table = inner;
        }
        var keys = string.Join(", ", table.Keys.Take(10));
        throw new CheckpointFormatException(path, $"no tensors found (top-level keys: {keys}).");
    }

    private static Dictionary<string, Tensor> StripPrefixes(Dictionary<string, Tensor> dict)
    {
        foreach (var prefix in new[] { "module.", "_orig_mod." })
        {
            if (dict.Count > 0 && dict.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal)))
                dict = dict.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
        }
        return dict;
    }

    /// <summary>Replaces fp16/bf16 tensors by fp32 copies (disposing the originals).</summary>
    internal static void UpcastInPlace(Dictionary<string, Tensor> dict)
    {
        foreach (var key in dict.Keys.ToList())
        {
            var t = dict[key];
            if (t.dtype is ScalarType.Float16 or ScalarType.BFloat16)
            {
                dict[key] = t.to(ScalarType.Float32);
                t.Dispose();
            }
        }
    }

    /// <summary>Kinds of checkpoint file.</summary>
    internal enum FileKind
    {
        Unknown,
        TorchZip,
        Safetensors,
    }
}
