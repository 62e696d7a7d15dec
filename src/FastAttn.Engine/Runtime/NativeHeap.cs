using System.Runtime.InteropServices;

namespace FastAttn.Engine.Runtime;

/// <summary>
/// What the C library's allocator holds (glibc's <c>mallinfo2</c>, summed over all arenas): the bytes handed out and not
/// freed, and the bytes freed but kept in the heap. Tells a native leak (in use grows) from a heap that keeps freed memory
/// (free grows), which resident memory alone cannot.
/// </summary>
/// <param name="ArenaBytes">Bytes obtained from the system for the heap arenas (sbrk/mmap'd arenas).</param>
/// <param name="MmappedBytes">Bytes in blocks served by their own mmap.</param>
/// <param name="InUseBytes">Bytes allocated and not yet freed (heap blocks and mmap'd blocks).</param>
/// <param name="FreeBytes">Bytes freed and kept inside the arenas for reuse.</param>
/// <param name="TopReleasableBytes">Of the free bytes, those at the top of the main heap that a trim could return at once.</param>
public sealed record NativeHeapInfo(long ArenaBytes, long MmappedBytes, long InUseBytes, long FreeBytes, long TopReleasableBytes);

/// <summary>The C library's heap (glibc): measure it, or return its free pages to the system.</summary>
public static class NativeHeap
{
    /// <summary>
    /// Measures the heap now; null off Linux or where the C library has no <c>mallinfo2</c> (musl, glibc before 2.33).
    /// Takes each arena's lock briefly: sample it every few seconds, not per tensor.
    /// </summary>
    public static NativeHeapInfo? Measure()
    {
        if (!OperatingSystem.IsLinux() || s_unavailable) return null;
        try
        {
            var m = mallinfo2();
            return new NativeHeapInfo((long)m.Arena, (long)m.Hblkhd, (long)(m.Uordblks + m.Hblkhd), (long)m.Fordblks, (long)m.Keepcost);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_unavailable = true;
            return null;
        }
    }

    /// <summary>
    /// Returns the heap's free pages to the system (glibc's <c>malloc_trim(0)</c>: the top of each arena and whole free
    /// pages inside them). Resident memory drops; the next allocations of that memory fault it in again. False where there
    /// is no <c>malloc_trim</c> or nothing was returned.
    /// </summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux() || s_unavailable) return false;
        try
        {
            return malloc_trim(0) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_unavailable = true;
            return false;
        }
    }

    private static volatile bool s_unavailable;

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 mallinfo2();

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
