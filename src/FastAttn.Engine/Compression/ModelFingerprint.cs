using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Compression;

/// <summary>
/// SHA-256 over a module's state dict — names, shapes and fp32 values in key order — identifying the weights a plan was
/// searched on.
/// </summary>
public static class ModelFingerprint
{
    private static readonly ConditionalWeakTable<nn.Module, string> Cache = new();

    /// <summary>The fingerprint of <paramref name="module"/> (computed once per module instance).</summary>
    public static string Of(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Cache.GetValue(module, Compute);
    }

    private static string Compute(nn.Module module)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}:{string.Join(',', tensor.shape)};"));
            using var values = tensor.detach().to(ScalarType.Float32, CPU).contiguous();
            hash.AppendData(MemoryMarshal.AsBytes(values.data<float>().ToArray().AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
