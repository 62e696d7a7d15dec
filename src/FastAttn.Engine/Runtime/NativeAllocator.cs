using System.Runtime.InteropServices;

namespace FastAttn.Engine.Runtime;

/// <summary>
/// Tunes glibc's allocator for tensor workloads on the CPU. By default glibc serves every block over 128 KiB–32 MiB with
/// a fresh <c>mmap</c> and returns it on free, so each activation tensor of a DiT step is page-faulted and zeroed anew
/// by the kernel (measured here: about a tenth of a step's time, and noise that swamps the savings being measured).
/// <see cref="RetainFreedMemory"/> keeps freed blocks in the heap for reuse instead: steady-state steps then allocate
/// without system calls, at the price of the process keeping its peak heap (as GPU caching allocators do).
/// </summary>
public static class NativeAllocator
{
    private const int TrimThreshold = -1;                                                   // M_TRIM_THRESHOLD
    private const int TopPad = -2;                                                          // M_TOP_PAD
    private const int MmapThreshold = -3;                                                   // M_MMAP_THRESHOLD
    private const int MmapMax = -4;                                                         // M_MMAP_MAX
    private static int s_applied;

    /// <summary>
    /// Serves every block from the heap (no per-allocation <c>mmap</c>) and never trims it. Process-wide and idempotent; does
    /// nothing (returns false) off Linux or where the C library has no <c>mallopt</c> (e.g. musl).
    /// </summary>
    public static bool RetainFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        if (Interlocked.Exchange(ref s_applied, 1) == 1) return true;
        try
        {
            return mallopt(MmapMax, 0) == 1
                & mallopt(MmapThreshold, 32 * 1024 * 1024) == 1
                & mallopt(TrimThreshold, int.MaxValue) == 1
                & mallopt(TopPad, 256 * 1024 * 1024) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
