using System.Diagnostics;
using FastAttn.Server.WebTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Server.WebTests;

/// <summary>The official OpenAI Node SDK (clients/node/check.mjs, npm "openai") against the server: a b64_json and a url image.</summary>
[Collection(ServerCollection.Name)]
public sealed class NodeClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheOpenAINodeSdkGetsB64AndUrlPngs()
    {
        var client = Path.Combine(RepositoryRoot(), "clients", "node");
        Assert.True(File.Exists(Path.Combine(client, "node_modules", "openai", "package.json")),
            $"clients/node has no node_modules/openai: run 'npm ci --prefix clients/node' first (.ci/run does). Looked in {client}.");
        await using var server = await LoopbackServer.StartAsync();
        var start = new ProcessStartInfo("node", ["check.mjs"])
        {
            WorkingDirectory = client,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["FASTATTN_URL"] = server.Url.ToString().TrimEnd('/'), ["FASTATTN_SIZE"] = "32x32" },
        };
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException("node is not installed (it must be on PATH).", e); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            output.WriteLine(await stdout);
            output.WriteLine(await stderr);
            Assert.True(process.ExitCode == 0, $"node check.mjs exited {process.ExitCode}: {await stderr}");
            Assert.Contains("b64_json: PNG 32x32", await stdout, StringComparison.Ordinal);
            var urlLine = (await stdout).Split('\n').First(l => l.StartsWith("url ", StringComparison.Ordinal));
            Assert.Contains("PNG 32x32", urlLine, StringComparison.Ordinal);
        }
    }

    /// <summary>The folder with FastAttnPlugin.sln above the test assembly.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FastAttnPlugin.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No FastAttnPlugin.sln above {AppContext.BaseDirectory}.");
    }
}
