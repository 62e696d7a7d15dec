using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FastAttn.Plugin.Tests.Faults;

/// <summary>
/// A model's weights file truncated or overwritten while the model is loaded (a deploy gone wrong, a disk error): the
/// loaded copy lives in memory and keeps serving; the next load of that file — another host, a restart — fails with a
/// <see cref="FastAttnModelLoadException"/> naming the model and path, and the engine stays up.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ModelFileFaultTests
{
    [Theory]
    [InlineData("truncated")]
    [InlineData("replaced")]
    public async Task A_model_file_damaged_while_loaded_keeps_serving_and_the_next_load_fails_typed(string damage)
    {
        var root = Directory.CreateTempSubdirectory("fastattn-model-fault").FullName;
        try
        {
            var folder = FaultHosts.WriteModel(root);
            var weights = Path.Combine(folder, "model.safetensors");
            var request = new FastAttnImageRequest { Prompt = "4", Preset = "raw", Steps = 2, Seed = 1 };
            var logs = new LogCapture();
            await using (var host = await FaultHosts.StartAsync(folder, logs))
            {
                var engine = host.Services.GetRequiredService<IFastAttnEngine>();
                var before = await engine.GenerateAsync(request);
                Damage(weights, damage);
                var after = await engine.GenerateAsync(request);                                // the loaded copy serves
                FaultHosts.AssertImage(after.Images[0].Png);
                Assert.Equal(before.Images[0].Png, after.Images[0].Png);                    // the same weights, not the file's
                Assert.Equal(1, engine.Status.ModelLoads["m"]);
            }
            await using (var next = await FaultHosts.StartAsync(folder, logs))
            {
                var engine = next.Services.GetRequiredService<IFastAttnEngine>();
                var e = await Assert.ThrowsAsync<FastAttnModelLoadException>(() => engine.GenerateAsync(request));
                Assert.Equal("m", e.Model);
                Assert.Contains(folder, e.Message, StringComparison.Ordinal);
                Assert.NotNull(e.InnerException);
                Assert.Contains("m", engine.Status.FailedModels.Keys);
                var again = await Assert.ThrowsAsync<FastAttnModelLoadException>(() => engine.GenerateAsync(request)); // retried, still typed
                Assert.Equal("m", again.Model);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Damage(string path, string how)
    {
        var length = new FileInfo(path).Length;
        if (how == "truncated")
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
            f.SetLength(length / 3);
            return;
        }
        var garbage = new byte[length];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(path, garbage);                                                     // same size, not a checkpoint
    }
}
