using System.Diagnostics;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>
/// The Redis the multi-host tests use: $FASTATTN_TEST_REDIS when set, else a private redis-server (Debian's package
/// <c>redis-server</c>, which .ci/run installs) started on a free port without persistence, and stopped afterwards.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private readonly Process? _process;

    private RedisServer(string connection, Process? process)
    {
        Connection = connection;
        _process = process;
    }

    public string Connection { get; }

    /// <summary>A Redis run elsewhere (not stopped by this object).</summary>
    public static RedisServer External(string connection) => new(connection, null);

    public static RedisServer Start()
    {
        if (Environment.GetEnvironmentVariable("FASTATTN_TEST_REDIS") is { Length: > 0 } given) return new RedisServer(given, null);
        var exe = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: `apt-get install redis-server` (as .ci/run does), or set FASTATTN_TEST_REDIS=host:port.");
        int port = FastAttn.Cluster.Hosting.LocalSiloProcess.FreePort();
        var process = StartProcess(exe, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no"]);
        return new RedisServer($"127.0.0.1:{port}", process);
    }

    /// <summary>Starts redis-server with <paramref name="args"/>; returns once it says it is ready (its line, not a poll).</summary>
    internal static Process StartProcess(string exe, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        void Line(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal)) ready.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server exited:\n{output}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"redis-server did not say it is ready:\n{output}");
        return process;
    }

    public void Dispose()
    {
        if (_process is null) return;
        try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
