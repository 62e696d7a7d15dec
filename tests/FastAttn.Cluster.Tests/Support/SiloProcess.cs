using System.Diagnostics;
using System.Globalization;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>A FastAttn silo (fastattn-silo) in its own process, its log in a file; killed without warning by <see cref="Kill"/>.</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private SiloProcess(string host, Process process, StreamWriter log, string logPath)
    {
        Host = host;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Host { get; }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a silo with the given configuration (key → value) and waits until its workers serve.</summary>
    public static async Task<SiloProcess> StartAsync(string host, string workDir, IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDir };
        info.ArgumentList.Add(SiloDll);
        foreach (var (key, value) in settings) info.ArgumentList.Add($"--{key}={value}");
        info.Environment["DOTNET_gcServer"] = "0";
        var logPath = Path.Combine(workDir, $"silo-{host}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(info)!;
        var silo = new SiloProcess(host, process, log, logPath);
        process.OutputDataReceived += (_, e) => silo.Write(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!silo.Log.Contains($"FastAttn host {host} serves devices", StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > until)
            {
                silo.Dispose();
                throw new InvalidOperationException($"Silo {host} did not start; its log:\n{silo.Log}");
            }
            await Task.Delay(200);
        }
        return silo;
    }

    private readonly System.Text.StringBuilder _text = new();

    /// <summary>Everything it printed so far.</summary>
    public string Log
    {
        get { lock (_text) return _text.ToString(); }
    }

    private void Write(string? line)
    {
        if (line is null) return;
        lock (_text)
        {
            _text.AppendLine(line);
            try { _log.WriteLine(line); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>SIGKILL: the host dies mid-work, as a crashed machine would.</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        lock (_text) _log.Dispose();
    }

    /// <summary>fastattn-silo.dll of the same build configuration as these tests (the test project builds it first).</summary>
    private static string SiloDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = dir.Parent!.Name;                                                    // bin/<Configuration>/net10.0/
            var repo = dir;
            while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "FastAttnPlugin.sln"))) repo = repo.Parent;
            if (repo is null) throw new InvalidOperationException("The repository root (FastAttnPlugin.sln) was not found above " + AppContext.BaseDirectory);
            var dll = Path.Combine(repo.FullName, "src", "FastAttn.Silo", "bin", configuration, "net10.0", "fastattn-silo.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build src/FastAttn.Silo ({configuration}) first.", dll);
        }
    }

    /// <summary>Invariant text of a number.</summary>
    public static string S(int value) => value.ToString(CultureInfo.InvariantCulture);
}
