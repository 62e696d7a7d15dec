using FastAttn.Engine.Compression;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Plugin.Tests.Faults;

/// <summary>
/// The plan folder is a cache of searches: when it cannot be written the searched plan is still used (a warning says it is
/// not kept), and a corrupt file in it (truncated JSON, binary garbage) is searched again with a warning and replaced.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class PlanCacheFaultTests(ITestOutputHelper output)
{
    private static FastAttnImageRequest Compressed => new() { Prompt = "3", Preset = "D2", Steps = 3, Seed = 2 };

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_read_only_plan_folder_still_uses_the_searched_plan_and_logs_a_warning()
    {
        var root = Directory.CreateTempSubdirectory("fastattn-plan-ro").FullName;
        var plans = Path.Combine(root, "plans");
        Directory.CreateDirectory(plans);
        File.SetUnixFileMode(plans, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
            UnixFileMode.OtherRead | UnixFileMode.OtherExecute);                                  // chmod 0555
        if (Writable(plans))
        {
            output.WriteLine("running as root: chmod 0555 does not stop writes; the plan folder is a path under a regular file instead");
            File.WriteAllText(Path.Combine(root, "a-file"), "not a folder");
            plans = Path.Combine(root, "a-file", "plans");
        }
        try
        {
            var logs = new LogCapture();
            await using var host = await FaultHosts.StartAsync(FaultHosts.WriteModel(root), logs, o =>
            {
                o.SearchOnDemand = true;
                o.PlanDirectory = plans;
            });
            var engine = host.Services.GetRequiredService<IFastAttnEngine>();
            var r = await engine.GenerateAsync(Compressed);
            Assert.True(r.Compressed, "the searched plan is used");
            Assert.Null(r.PlanPath);                                                            // …without being kept
            Assert.True(logs.Warned("it is used without being kept"), logs.Dump);
            Assert.Equal(1, engine.Status.PlanSearches);
            FaultHosts.AssertImage(r.Images[0].Png);
        }
        finally
        {
            File.SetUnixFileMode(Path.Combine(root, "plans"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    public async Task A_corrupt_plan_file_is_searched_again_with_a_warning_and_replaced(string damage)
    {
        var root = Directory.CreateTempSubdirectory("fastattn-plan-corrupt").FullName;
        try
        {
            var model = FaultHosts.WriteModel(root);
            var plans = Path.Combine(root, "plans");
            string path;
            var logs = new LogCapture();
            await using (var first = await FaultHosts.StartAsync(model, logs, o => { o.SearchOnDemand = true; o.PlanDirectory = plans; }))
                path = (await first.Services.GetRequiredService<IFastAttnEngine>().GenerateAsync(Compressed)).PlanPath!;
            Assert.True(File.Exists(path));
            var good = File.ReadAllBytes(path);
            File.WriteAllBytes(path, damage == "truncated" ? good[..(good.Length / 2)] : [0, 0xff, 0xfe, 0x50, 0x4b, 3, 4, 0, 7, 0x80]);

            await using var second = await FaultHosts.StartAsync(model, logs, o => { o.SearchOnDemand = true; o.PlanDirectory = plans; });
            var engine = second.Services.GetRequiredService<IFastAttnEngine>();
            var r = await engine.GenerateAsync(Compressed);
            Assert.True(r.Compressed);
            Assert.Equal(1, engine.Status.PlanSearches);                                        // searched again, not a crash
            Assert.True(logs.Warned("Ignoring a corrupt plan file"), logs.Dump);
            Assert.Equal(path, r.PlanPath);
            Assert.Equal(PlanSerializer.Load(path).Key, PlanSerializer.Parse(System.Text.Encoding.UTF8.GetString(good), "good").Key);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Whether this process can create a file in <paramref name="folder"/> (root can, whatever its mode).</summary>
    private static bool Writable(string folder)
    {
        try
        {
            var probe = Path.Combine(folder, ".probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
