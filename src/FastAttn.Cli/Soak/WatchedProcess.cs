using System.Diagnostics;

namespace FastAttn.Cli.Soak;

/// <summary>Another process whose resident memory the soak samples beside its own (<c>--watch-pid</c>, e.g. the HTTP server).</summary>
internal sealed class WatchedProcess(Process process)
{
    /// <summary>Opens process <paramref name="pid"/>; one that does not exist is an <see cref="ArgumentException"/> naming it.</summary>
    public static WatchedProcess Open(int pid)
    {
        try
        {
            return new WatchedProcess(Process.GetProcessById(pid));
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"--watch-pid {pid}: no such process.");
        }
    }

    /// <summary>Its resident memory in MB now (0 once it has ended).</summary>
    public double RssMb()
    {
        try
        {
            process.Refresh();
            return process.HasExited ? 0 : process.WorkingSet64 / 1048576.0;
        }
        catch (InvalidOperationException)
        {
            return 0;
        }
    }
}
