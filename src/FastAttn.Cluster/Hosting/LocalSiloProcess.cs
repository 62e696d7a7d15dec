using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastAttn.Cluster.Hosting;

/// <summary>
/// A <c>fastattn-silo</c> host started as a process on this machine (benchmarks, tests, a local cluster): its output
/// kept (and optionally written to a file), ready once it says its workers serve, killed without warning by
/// <see cref="Kill"/> — as a crashed machine would be.
/// </summary>
public sealed class LocalSiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly StreamWriter? _file;

    private LocalSiloProcess(string host, Process process, StreamWriter? file)
    {
        Host = host;
        _process = process;
        _file = file;
    }

    /// <summary>The host's name (<c>FastAttn:Cluster:HostName</c>).</summary>
    public string Host { get; }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The operating system's id of the process.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Everything it printed so far.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>
    /// Starts <c>dotnet <paramref name="siloDll"/></c> in <paramref name="workDir"/> with <paramref name="settings"/> as
    /// configuration arguments (<c>--key=value</c>; <c>FastAttn:Cluster:HostName</c> is set to <paramref name="host"/>)
    /// and waits until it serves; a host that exits or does not start within <paramref name="timeout"/> is an
    /// <see cref="InvalidOperationException"/> with its output.
    /// </summary>
    public static async Task<LocalSiloProcess> StartAsync(string siloDll, string host, string workDir, IReadOnlyDictionary<string, string?> settings,
        TimeSpan timeout, string? logFile = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!File.Exists(siloDll)) throw new FileNotFoundException($"The FastAttn host program is not at {siloDll}.", siloDll);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workDir };
        info.ArgumentList.Add(siloDll);
        foreach (var (key, value) in settings.Where(p => p.Key != "FastAttn:Cluster:HostName")) info.ArgumentList.Add($"--{key}={value}");
        info.ArgumentList.Add($"--FastAttn:Cluster:HostName={host}");
        var file = logFile is null ? null : new StreamWriter(logFile) { AutoFlush = true };
        var silo = new LocalSiloProcess(host, Process.Start(info) ?? throw new InvalidOperationException($"Could not start {siloDll}."), file);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null) return;
            lock (silo._log)
            {
                silo._log.AppendLine(line);
                try { silo._file?.WriteLine(line); } catch (ObjectDisposedException) { }
            }
            if (line.Contains($"FastAttn host {host} serves devices", StringComparison.Ordinal)) ready.TrySetResult();
        }
        silo._process.OutputDataReceived += (_, e) => Line(e.Data);
        silo._process.ErrorDataReceived += (_, e) => Line(e.Data);
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        var exited = silo._process.WaitForExitAsync(cancellationToken);
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false) != ready.Task)
        {
            silo.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException($"FastAttn host {host} did not start; its output:\n{silo.Log}");
        }
        return silo;
    }

    /// <summary>SIGKILL: the host dies at once, mid-work.</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Kill();
        _process.Dispose();
        lock (_log) _file?.Dispose();
    }

    /// <summary>A free TCP port on the loopback.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
