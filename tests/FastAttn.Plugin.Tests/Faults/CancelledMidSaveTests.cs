using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FastAttn.Plugin.Tests.Faults;

/// <summary>
/// A caller that cancels while its images are being saved sees the cancellation and no file of the request stays in the
/// output folder (the files saved are removed and counted in <see cref="FastAttnEngineStatus.AbandonedResults"/>); the next
/// request is served with its files.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class CancelledMidSaveTests
{
    [Fact]
    public async Task A_request_cancelled_while_saving_is_cancelled_and_leaves_no_file()
    {
        var root = Directory.CreateTempSubdirectory("fastattn-midsave").FullName;
        var disk = new GatedDisk();
        try
        {
            await using var host = await FaultHosts.StartAsync(FaultHosts.WriteModel(root), new LogCapture(),
                services: s => s.AddSingleton<IFastAttnOutputStreams>(disk));
            var engine = host.Services.GetRequiredService<IFastAttnEngine>();
            using var cts = new CancellationTokenSource();
            var request = new FastAttnImageRequest { Prompt = "7", Preset = "raw", Steps = 2, Count = 2, Seed = 3 };
            var call = engine.GenerateAsync(request, cts.Token);
            await disk.Saving.Task;                                                             // the first image is being written
            await cts.CancelAsync();
            disk.Go.SetResult();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

            var next = await engine.GenerateAsync(request);                                     // runs after the abandoned save ended
            Assert.Equal(1, engine.Status.AbandonedResults);
            Assert.Equal(next.Images.Select(i => Path.GetFileName(i.Path)).Order(), FaultHosts.Files(host.Output).Order());
            Assert.All(next.Images, i => FaultHosts.AssertImage(File.ReadAllBytes(i.Path)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Writes to disk, but the first write waits until the test lets it go.</summary>
    private sealed class GatedDisk : IFastAttnOutputStreams
    {
        public TaskCompletionSource Saving { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Go { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Stream Create(string tempPath)
        {
            if (Saving.TrySetResult()) Go.Task.Wait();
            return File.Create(tempPath);
        }
    }
}
