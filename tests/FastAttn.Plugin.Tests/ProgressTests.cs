using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>A request's <see cref="FastAttnImageRequest.Progress"/> hears every denoising step, in order, alone or batched.</summary>
public sealed class ProgressTests
{
    [Fact]
    public async Task Progress_ReportsEveryStepInOrder_ForEachMemberOfABatch()
    {
        await using var host = await TestHost.StartAsync(o => o.MaxBatch = 4);
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();
        var first = new StepLog();
        var second = new StepLog();

        await Task.WhenAll(
            engine.GenerateAsync(new FastAttnImageRequest { Prompt = "7", Steps = 3, Seed = 1, Preset = "raw", Progress = first }),
            engine.GenerateAsync(new FastAttnImageRequest { Prompt = "3", Steps = 3, Seed = 2, Preset = "raw", Progress = second }));

        Assert.Equal([new(1, 3), new(2, 3), new(3, 3)], first.Steps);
        Assert.Equal([new(1, 3), new(2, 3), new(3, 3)], second.Steps);
    }

    /// <summary>Records reports as they come (on the worker's thread, in order).</summary>
    private sealed class StepLog : IProgress<FastAttnProgress>
    {
        public List<FastAttnProgress> Steps { get; } = [];

        public void Report(FastAttnProgress value)
        {
            lock (Steps) Steps.Add(value);
        }
    }
}
