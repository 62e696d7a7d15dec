using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Runtime;

/// <summary>Where the engine runs: automatically chosen, the CPU, or a CUDA GPU.</summary>
public enum ComputeDevice
{
    /// <summary>CUDA when the CUDA backend is present and a GPU is visible, else the CPU.</summary>
    Auto,

    /// <summary>The CPU (fp32).</summary>
    Cpu,

    /// <summary>A CUDA GPU (fp16 by default); needs the CUDA build (see README).</summary>
    Cuda,
}

/// <summary>Resolves a <see cref="ComputeDevice"/> choice to a TorchSharp device and the default dtype for it.</summary>
public static class DeviceSelector
{
    /// <summary>Parses "auto", "cpu" or "cuda" (case-insensitive); anything else is a <see cref="NotSupportedException"/> naming the value.</summary>
    public static ComputeDevice Parse(string value) => value?.Trim().ToLowerInvariant() switch
    {
        "auto" => ComputeDevice.Auto,
        "cpu" => ComputeDevice.Cpu,
        "cuda" or "gpu" => ComputeDevice.Cuda,
        _ => throw new NotSupportedException($"Unknown device '{value}'. Allowed: auto, cpu, cuda."),
    };

    /// <summary>
    /// The device for <paramref name="choice"/>. Asking for CUDA where it is unavailable throws
    /// <see cref="InvalidOperationException"/> explaining that this build is CPU-only or no GPU is visible.
    /// </summary>
    public static Device Resolve(ComputeDevice choice)
    {
        bool cuda = CudaAvailable();
        return choice switch
        {
            ComputeDevice.Cpu => CPU,
            ComputeDevice.Cuda when cuda => CUDA,
            ComputeDevice.Cuda => throw new InvalidOperationException(
                "CUDA was requested but is not available: this build uses the CPU backend (libtorch-cpu), or no GPU is visible. " +
                "Build with -p:FastAttnBackend=cuda on a machine that can restore TorchSharp-cuda-linux (see README)."),
            _ => cuda ? CUDA : CPU,
        };
    }

    /// <summary>fp32 on the CPU; fp16 on CUDA.</summary>
    public static ScalarType DefaultDType(Device device) => device.type == DeviceType.CUDA ? ScalarType.Float16 : ScalarType.Float32;

    private static bool CudaAvailable()
    {
        try { return cuda.is_available(); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException) { return false; }
    }
}
