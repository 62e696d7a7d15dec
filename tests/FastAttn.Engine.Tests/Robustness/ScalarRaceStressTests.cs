using FastAttn.Engine.Runtime;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Robustness;

/// <summary>
/// The <see cref="Scalars"/> helpers under a garbage collector that runs all the time: a background thread collects and
/// runs finalizers in a loop while the test thread does a fixed number of scalar operations. With TorchSharp's own
/// operators (<c>x + 1.0</c>, <c>x.mul(2.5)</c>) the same loop failed about once in 2,500 operations (<c>toFloat</c>
/// errors from <c>c10::Scalar</c>) because a finalizer freed a Scalar during the native call.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class ScalarRaceStressTests
{
    private const int Rounds = 70_000;   // 3 helper calls each: 210k operations

    [Fact]
    public void HelpersStayCorrectWhileTheCollectorRunsConstantly()
    {
        using var stop = new CancellationTokenSource();
        using var collecting = new ManualResetEventSlim();
        int collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
                collecting.Set();
            }
        }) { IsBackground = true };

        using var x = tensor(new[] { 1f, 2f, 3f });
        var wrong = new List<string>();
        collector.Start();
        collecting.Wait();
        try
        {
            for (int round = 0; round < Rounds && wrong.Count < 5; round++)
            {
                using var plus = x.Plus(0.5 + round % 7);            // a different value each round, as a sampler's
                using var times = plus.Times(2.0);
                using var sum = times.Plus(x);                       // 3x + 1 + 2·(round % 7)
                var got = sum.data<float>().ToArray();
                float shift = 2 * (round % 7);
                if (got[0] != 4 + shift || got[1] != 7 + shift || got[2] != 10 + shift)
                    wrong.Add($"round {round}: [{string.Join(", ", got)}]");
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }

        Assert.Empty(wrong);
        Assert.True(Volatile.Read(ref collections) > 0);
    }
}
