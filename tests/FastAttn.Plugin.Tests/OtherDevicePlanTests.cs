using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Pipelines;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>A plan searched for the other device kind is used, and the caller is told so in the result's notes.</summary>
public class OtherDevicePlanTests
{
    [Fact]
    public async Task APlanSearchedForCudaIsUsedOnCpuWithAWarningNote()
    {
        await using var host = await TestHost.StartAsync(o => o.Threshold = 0.06);            // no shipped plan at δ = 0.06
        var folder = host.Services.GetRequiredService<IOptions<FastAttnOptions>>().Value.PlanDirectory!;
        using (var model = ModelFamilyRegistry.Default.Load(BuiltInModels.Default, ModelLoadSettings.For("cpu")))
        {
            var generation = model.Prepare(new Engine.Generation.GenerationRequest { Prompt = "2", Threshold = 0.06 });
            var key = generation.PlanKey(0.06);
            Assert.Equal("cpu", key.DeviceKind);
            var shipped = PlanSerializer.Load(Directory.GetFiles(model.PlanFolders[0], "*-D2-*.json").Single());
            var cuda = new CompressionPlan(key with { DeviceKind = "cuda" }, shipped.Methods, shipped.Search, shipped.Shape);
            new PlanDirectory(folder).Save(cuda);
        }
        var r = await host.Services.GetRequiredService<IFastAttnEngine>().GenerateAsync(new FastAttnImageRequest { Prompt = "2", Seed = 1 });
        Assert.True(r.Compressed, string.Join(" ", r.Notes));
        Assert.Contains(r.Notes, n => n.Contains("searched for cuda", StringComparison.Ordinal));
    }
}
