using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>
/// A private redis-server with append-only persistence in a folder of its own, on a free port: stopped with SHUTDOWN
/// (it syncs its log and exits) and started again on the same port and folder, as an operator's restart would.
/// </summary>
internal sealed class PersistentRedis : IDisposable
{
    private readonly string _dir;
    private Process? _process;

    private PersistentRedis(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string Connection => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static PersistentRedis Start()
    {
        var redis = new PersistentRedis(Directory.CreateTempSubdirectory("fastattn-redis-aof").FullName, Hosting.LocalSiloProcess.FreePort());
        redis.StartProcess();
        return redis;
    }

    /// <summary>SHUTDOWN through the protocol, then waits for the process to exit (its exit, not a sleep).</summary>
    public async Task ShutdownAsync()
    {
        using (var admin = await ConnectionMultiplexer.ConnectAsync($"{Connection},allowAdmin=true"))
        {
            try { await admin.GetServer(Connection).ExecuteAsync("SHUTDOWN"); }
            catch (RedisException) { }                                                       // it closes the connection as it goes
        }
        await _process!.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        _process = null;
    }

    /// <summary>Starts redis-server again on the same port and folder; returns when it says it is ready.</summary>
    public void Restart() => StartProcess();

    private void StartProcess()
    {
        var exe = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server).");
        var process = RedisServer.StartProcess(exe, ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", _dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""]);
        _process = process;
    }

    public void Dispose()
    {
        try { if (_process is { HasExited: false }) _process.Kill(); } catch (InvalidOperationException) { }
        _process?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
