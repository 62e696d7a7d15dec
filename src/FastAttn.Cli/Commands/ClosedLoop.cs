using System.Diagnostics;

namespace FastAttn.Cli.Commands;

/// <summary>
/// Closed-loop load for <c>bench serve</c>: <c>clients</c> tasks, each sending its next request when the last returned,
/// until <c>total</c> requests were sent; the latency of each and the wall time of all.
/// </summary>
internal static class ClosedLoop
{
    /// <summary>
    /// Runs the load; <paramref name="send"/> sends request n (1-based) of client c and completes when it is answered.
    /// </summary>
    public static async Task<(IReadOnlyList<double> Latencies, double Seconds)> RunAsync(int clients, int total, Func<int, int, Task> send,
        CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        int issued = 0;
        var wall = Stopwatch.StartNew();
        async Task ClientAsync(int client)
        {
            int n;
            while ((n = Interlocked.Increment(ref issued)) <= total)
            {
                var started = Stopwatch.GetTimestamp();
                await send(client, n).ConfigureAwait(false);
                lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c), cancellationToken))).ConfigureAwait(false);
        return (latencies, wall.Elapsed.TotalSeconds);
    }
}
