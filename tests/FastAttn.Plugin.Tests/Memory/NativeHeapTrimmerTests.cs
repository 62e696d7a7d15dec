using FastAttn.Engine.Runtime;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace FastAttn.Plugin.Tests.Memory;

[Collection(EngineCollection.Name)]                                 // the C heap is the process's: no other test class beside it
public sealed class NativeHeapTrimmerTests
{
    [Fact]
    public void Trims_at_most_once_per_interval_on_the_clock_it_is_given()
    {
        var clock = new ManualTimeProvider();
        var trimmer = new NativeHeapTrimmer(TimeSpan.FromMinutes(1), clock, NullLogger.Instance);

        trimmer.TrimIfDue();
        clock.Advance(TimeSpan.FromSeconds(59));
        trimmer.TrimIfDue();
        Assert.Equal(0, trimmer.Trims);

        clock.Advance(TimeSpan.FromSeconds(1));
        trimmer.TrimIfDue();
        trimmer.TrimIfDue();
        Assert.Equal(1, trimmer.Trims);

        clock.Advance(TimeSpan.FromMinutes(5));
        trimmer.TrimIfDue();
        Assert.Equal(2, trimmer.Trims);
    }

    [Fact]
    public void Never_trims_without_an_interval()
    {
        var clock = new ManualTimeProvider();
        var trimmer = new NativeHeapTrimmer(null, clock, NullLogger.Instance);
        clock.Advance(TimeSpan.FromDays(1));
        trimmer.TrimIfDue();
        Assert.Equal(0, trimmer.Trims);
    }

    [Fact]
    public void The_heap_measures_what_is_allocated_on_glibc_and_a_trim_keeps_what_is_in_use()
    {
        if (!OperatingSystem.IsLinux()) return;                     // libtorch's linux-x64 build needs glibc, which has mallinfo2 since 2.33
        // mallinfo2 counts every thread's heap: a finalizer freeing tensors between the two readings can hide the 8 MB, so the
        // finalizers are drained first and a few attempts are allowed.
        var seen = new List<string>();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = NativeHeap.Measure();
            Assert.NotNull(before);
            var block = System.Runtime.InteropServices.Marshal.AllocHGlobal(8 << 20);   // malloc
            try
            {
                var during = NativeHeap.Measure()!;
                NativeHeap.Trim();
                var trimmed = NativeHeap.Measure()!;
                if (during.InUseBytes - before.InUseBytes >= 8 << 20 && trimmed.InUseBytes >= 8 << 20) return;
                seen.Add($"in use {before.InUseBytes} → {during.InUseBytes} → {trimmed.InUseBytes} after the trim");
            }
            finally
            {
                System.Runtime.InteropServices.Marshal.FreeHGlobal(block);
            }
        }
        Assert.Fail("The measured heap never counted the 8 MB malloc: " + string.Join("; ", seen));
    }

    [Fact]
    public void A_non_positive_interval_is_refused_by_the_options_validator()
    {
        var errors = new FastAttnOptionsValidator(FastAttn.Engine.Families.ModelFamilyRegistry.Default).Validate(null, new FastAttnOptions { NativeTrimInterval = TimeSpan.Zero });
        Assert.True(errors.Failed);
        Assert.Contains("NativeTrimInterval", errors.FailureMessage);
    }
}
