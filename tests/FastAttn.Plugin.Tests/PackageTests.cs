using System.Diagnostics;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>The NuGet packages alone make a fresh app work (libstdc++ fix, CPU backend and built-in model included).</summary>
[Collection(EngineCollection.Name)]
public class PackageTests
{
    [Fact]
    public async Task PackedPackagesWorkInAFreshAppFromALocalFeed()
    {
        var repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "FastAttnPlugin.sln"))) repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("repository root not found");
        var start = new ProcessStartInfo("bash", [Path.Combine(repo, "tests", "PackageSmoke", "run.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("MSBUILDNOINPROCNODE");
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DOTNET_HOST", StringComparison.Ordinal) || k == "VSTEST_HOST_DEBUG").ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(15));
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("Saved ", output, StringComparison.Ordinal);
        Assert.Contains("(32x32, model tiny-mnist)", output, StringComparison.Ordinal);
    }
}
