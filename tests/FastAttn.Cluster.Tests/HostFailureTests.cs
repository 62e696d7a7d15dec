using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Tests.Support;
using FastAttn.Plugin.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Cluster.Tests;

/// <summary>
/// Two silo processes serving model A with short membership timeouts; the host running a job is killed (SIGKILL) mid-job.
/// The job is dispatched again to the surviving host and ends with exactly one set of results.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HostFailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_job_whose_host_is_killed_reruns_on_another_host_with_one_result()
    {
        await using var cluster = await MultiHostCluster.StartAsync(("k1", ["A"]), ("k2", ["A"]));
        var request = new FastAttnImageRequest { Prompt = "6", Model = "A", Preset = "raw", Steps = 1000, Count = 6, Seed = 42 };
        var job = await cluster.Client.SubmitAsync(request, jobId: "kill-test-job");
        var host = await cluster.WaitUntilGeneratingAsync(job.JobId);
        var again = await cluster.Client.SubmitAsync(request, jobId: "kill-test-job");            // a retried submit: the same job
        Assert.Equal(1, again.Attempt);

        var killed = System.Diagnostics.Stopwatch.StartNew();
        cluster.Silo(host).Kill();
        var done = await cluster.Client.WaitAsync(job.JobId).WaitAsync(TimeSpan.FromMinutes(10));    // a hang guard, not a timing
        output.WriteLine($"killed {host} mid-job; the job ended {done.Status} on {done.Output?.Host} (attempt {done.Attempt}) {killed.Elapsed.TotalSeconds:0.0} s later, " +
                         $"of which the rerun generated for {done.Output?.Elapsed.TotalSeconds:0.0} s");

        Assert.True(done.Status == JobStatus.Succeeded, $"{done.Status}: {done.Error?.Message}\n{cluster.Logs}");
        Assert.Equal(2, done.Attempt);
        var survivor = host == "k1" ? "k2" : "k1";
        Assert.Equal(survivor, done.Output!.Host);
        var folder = Path.Combine(cluster.ResultStore, job.JobId);
        var files = Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"image-{i}.png").Order().ToArray(), files);
        foreach (var f in files) Png.AssertValid(Path.Combine(folder, f));
        Assert.Equal([folder], Directory.GetDirectories(cluster.ResultStore).Where(d => !Path.GetFileName(d).StartsWith('.')).ToArray());
        var staging = Path.Combine(cluster.ResultStore, ".staging");
        Assert.True(!Directory.Exists(staging) || Directory.GetFileSystemEntries(staging).Length == 0, "no staged leftovers");
        var images = await cluster.Client.GetImagesAsync(job.JobId);
        Assert.Equal(Enumerable.Range(42, 6).Select(i => (long)i).ToArray(), images.Images.Select(i => i.Seed).ToArray());
        Assert.True(done.Output.Elapsed > TimeSpan.FromSeconds(2), $"the job ran {done.Output.Elapsed} (long enough to be killed mid-way)");
    }
}
