using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Attention.Costs;

/// <summary>What measured costs depend on besides the shape: the device, the thread count and the library versions.</summary>
/// <param name="DeviceKind">cpu or cuda.</param>
/// <param name="DeviceName">The processor's model name, or the CUDA device index and count.</param>
/// <param name="Threads">Intra-op threads (torch.get_num_threads()).</param>
/// <param name="TorchSharpVersion">TorchSharp's assembly version.</param>
/// <param name="FastAttnVersion">FastAttn.Engine's informational version.</param>
public sealed record CostEnvironment(string DeviceKind, string DeviceName, int Threads, string TorchSharpVersion, string FastAttnVersion)
{
    /// <summary>The environment of <paramref name="device"/> in this process, now.</summary>
    public static CostEnvironment Current(Device? device = null)
    {
        device ??= CPU;
        bool cuda = device.type == DeviceType.CUDA;
        string name = cuda ? $"cuda{Math.Max(0, device.index)}-of-{torch.cuda.device_count()}" : CpuName();
        return new CostEnvironment(SharedCostModels.KindOf(device), name, get_num_threads(), Version(typeof(TorchSharp.torch).Assembly),
            Version(typeof(CostEnvironment).Assembly));
    }

    /// <summary>The full cache key of <paramref name="shape"/> in this environment.</summary>
    public string KeyFor(AttentionShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return $"{DeviceKind}|{DeviceName}|t{Threads}|{shape}|torchsharp {TorchSharpVersion}|fastattn {FastAttnVersion}";
    }

    /// <summary>The cache file name of <paramref name="shape"/>: readable parts plus a hash of the whole key.</summary>
    public string FileNameFor(AttentionShape shape)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(KeyFor(shape))))[..12].ToLowerInvariant();
        return $"{DeviceKind}-t{Threads}-{shape}-{hash}.json";
    }

    private static string CpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int i and >= 0)
                        return line[(i + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"{RuntimeInformation.ProcessArchitecture} x{Environment.ProcessorCount}";
    }

    private static string Version(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "0";
}
