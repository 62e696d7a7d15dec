using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Pipelines;

[Collection(SequentialCollection.Name)]
public class ShippedPlanTests
{
    [Fact]
    public async Task TheShippedTinyMnistPlansAreFoundForTheD1ToD6Requests()
    {
        using var model = ModelFamilyRegistry.Default.Load(BuiltInModels.Default, ModelLoadSettings.For("cpu"));
        var all = Directory.GetFiles(Assert.Single(model.PlanFolders), "*.json");
        Assert.Equal(12, all.Length);                                                        // D1..D6 and the block scope's B1..B6
        var shipped = all.Where(p => PlanSerializer.Load(p).Key.SearchScope == SearchScope.Attention).ToArray();
        Assert.Equal(6, shipped.Length);
        var user = Directory.CreateTempSubdirectory("fastattn-user-").FullName;
        // The default settings find measured-order (cpu) plans; plans shipped before the measured order are found with the
        // reference order they were searched with.
        var order = shipped.Select(p => PlanSerializer.Load(p).Key.CandidateOrder).Distinct().Single();
        var settings = order == CandidateOrder.Measured ? null : new PlanSearchSettings { CandidateOrder = order };
        var resolver = new PlanResolver(new PlanResolverOptions { UserFolder = user, Search = settings });
        foreach (var preset in CompressionPresets.Names)
        {
            var generation = model.Prepare(new GenerationRequest { Prompt = "7", Preset = preset });
            var resolved = await resolver.ResolveAsync(model, generation, search: false);
            Assert.NotNull(resolved);
            Assert.Equal(PlanSource.Folder, resolved.Source);
            Assert.Contains(resolved.Path, shipped);
            Assert.Equal(SearchMetric.GuidedOutput, resolved.Plan.Key.Metric);                  // migrated from ",metric:guided"
            Assert.Equal(Path.GetFileName(resolved.Path), resolved.Plan.Key.FileName);
            Assert.Null(resolved.Warning);
        }
        Assert.Equal(0, resolver.Searches);
        foreach (var preset in CompressionPresets.BlockNames)                                  // B presets find their own plans
        {
            var resolved = await resolver.ResolveAsync(model, model.Prepare(new GenerationRequest { Prompt = "7", Preset = preset }), search: false);
            Assert.Equal(SearchScope.Block, resolved!.Plan.Key.SearchScope);
            Assert.NotNull(resolved.Plan.Blocks);
            Assert.DoesNotContain(resolved.Path, shipped);
        }
        Assert.Equal(0, resolver.Searches);
        Assert.Empty(Directory.GetFiles(user));
        Directory.Delete(user);
    }
}
