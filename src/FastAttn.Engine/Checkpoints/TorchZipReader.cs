using System.IO.Compression;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Reads a <c>torch.save</c> zip archive (<c>archive/data.pkl</c> + <c>archive/data/N</c> storages) through the
/// <see cref="RestrictedUnpickler"/>: only tensors, storages and (Ordered)dicts/lists/tuples of plain values come out.
/// Before anything is allocated, sizes are checked against the file: the pickle and each storage entry must fit in it,
/// all storages together too, and a tensor's size, stride and offset must stay inside its storage (checked before
/// libtorch sees them).
/// </summary>
internal static class TorchZipReader
{
    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = ScalarType.Float64, ["FloatStorage"] = ScalarType.Float32, ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16, ["LongStorage"] = ScalarType.Int64, ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16, ["CharStorage"] = ScalarType.Int8, ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
    };

    /// <summary>The unpickled top-level value and every tensor made on the way (the caller disposes those it does not keep).</summary>
    public static (object? Root, List<Tensor> Tensors) Read(string path)
    {
        var tensors = new List<Tensor>();
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            long fileLength = stream.Length;
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read);
            var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var e in archive.Entries) entries.TryAdd(e.FullName, e);
            var pkl = entries.Values.Where(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)).ToList();
            if (pkl.Count != 1) throw new CheckpointFormatException(path, $"the archive holds {pkl.Count} data.pkl entries (expected one).");
            var prefix = pkl[0].FullName[..^"data.pkl".Length];
            if (entries.TryGetValue(prefix + "byteorder", out var order) && ReadEntry(order, Math.Min(order.Length, 16), fileLength, path) is var bo
                && System.Text.Encoding.ASCII.GetString(bo) != "little")
                throw new CheckpointFormatException(path, "the archive was written big-endian, which is not supported.");
            var pickle = ReadEntry(pkl[0], pkl[0].Length, fileLength, path);
            var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            long storageBytes = 0;
            object? LoadStorage(object? pid)
            {
                if (pid is not object?[] { Length: 5 } t || t[0] is not "storage" || t[1] is not PickleGlobal type
                    || t[2] is not string key || t[4] is not long count)
                    throw new CheckpointFormatException(path, "a persistent id is not ('storage', type, key, location, size).");
                if (storages.TryGetValue(key, out var known)) return known;
                if (!StorageTypes.TryGetValue(type.Name, out var dtype) || type.Module != "torch")
                    throw new CheckpointFormatException(path, $"storage type '{type}' is not supported.");
                long elementSize = ElementSize(dtype);
                if (count < 0 || count > fileLength / elementSize)
                    throw new CheckpointFormatException(path, $"storage '{key}' claims {count} elements, more than the file holds.");
                if (!entries.TryGetValue(prefix + "data/" + key, out var entry))
                    throw new CheckpointFormatException(path, $"storage '{key}' is missing from the archive.");
                long bytes = count * elementSize;
                storageBytes += bytes;
                if (storageBytes > fileLength)
                    throw new CheckpointFormatException(path, "the storages together claim more data than the file holds.");
                var data = ReadEntry(entry, bytes, fileLength, path);
                var storage = empty(count, dtype);
                tensors.Add(storage);
                storage.bytes = data;
                storages[key] = storage;
                return storage;
            }
            object? Call(PickleGlobal g, object?[] args) => g.ToString() switch
            {
                "collections.OrderedDict" => new Dictionary<object, object?>(),
                "torch._utils._rebuild_tensor" or "torch._utils._rebuild_tensor_v2" => Rebuild(args, path, tensors),
                "torch._utils._rebuild_parameter" or "torch._utils._rebuild_parameter_with_state" =>
                    args.Length >= 1 && args[0] is Tensor data ? data
                        : throw new CheckpointFormatException(path, "a parameter is rebuilt from something that is not a tensor."),
                _ => throw new CheckpointFormatException(path, $"'{g}' cannot be called."),
            };
            var root = new RestrictedUnpickler(pickle, path, Call, LoadStorage).Load();
            return (root, tensors);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or ArgumentException
            or OverflowException or UnauthorizedAccessException)
        {
            foreach (var t in tensors) t.Dispose();
            throw new CheckpointFormatException(path, $"the torch.save archive is damaged ({e.Message}).", e);
        }
        catch
        {
            foreach (var t in tensors) t.Dispose();
            throw;
        }
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, long bytes, long fileLength, string path)
    {
        if (entry.Length > fileLength || bytes > entry.Length)
            throw new CheckpointFormatException(path,
                $"entry '{entry.FullName}' holds {entry.Length} bytes; {bytes} are needed and the file holds {fileLength}.");
        CheckpointFormatException.ThrowIfTooLarge(path, entry.FullName, bytes);
        var buffer = new byte[bytes];
        using var s = entry.Open();
        s.ReadExactly(buffer);
        return buffer;
    }

    private static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>_rebuild_tensor_v2(storage, offset, size, stride, ...): a view of the storage, after checking it stays inside.</summary>
    private static Tensor Rebuild(object?[] args, string path, List<Tensor> tensors)
    {
        if (args.Length < 4 || args[0] is not Tensor storage || args[1] is not long offset
            || args[2] is not object?[] size || args[3] is not object?[] stride || size.Length != stride.Length || size.Length > 16)
            throw new CheckpointFormatException(path, "a tensor is rebuilt from arguments that are not (storage, offset, size, stride).");
        var sizes = new long[size.Length];
        var strides = new long[size.Length];
        long last = offset;
        bool empty = false;
        for (int i = 0; i < size.Length; i++)
        {
            if (size[i] is not long n || stride[i] is not long s || n < 0 || s < 0)
                throw new CheckpointFormatException(path, "a tensor has a negative or non-integer size or stride.");
            sizes[i] = n;
            strides[i] = s;
            if (n == 0) empty = true;
            else if (s > 0 && n - 1 > (long.MaxValue - last) / s)
                throw new CheckpointFormatException(path, "a tensor's size and stride overflow.");
            else last += (n - 1) * s;
        }
        long storageSize = storage.shape[0];
        if (offset < 0 || (!empty && last >= storageSize) || offset > storageSize)
            throw new CheckpointFormatException(path,
                $"a tensor [{string.Join(", ", sizes)}] at offset {offset} reaches past its storage of {storageSize} elements.");
        var view = storage.as_strided(sizes, strides, offset);
        tensors.Add(view);
        return view;
    }
}
