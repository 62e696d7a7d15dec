using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families.DiT;
using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>Measured-order plans: their keys, files and lookup (found again; used with a warning on another device kind).</summary>
[Collection(SequentialCollection.Name)]
public sealed class MeasuredPlanLookupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-measured-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PlanKey Key => new("ab12cd34ef56", 4, 3, "ddim", 4, WindowSpec.ForTokens(16), 0.1, "labels:random2,seed:3");

    [Fact]
    public void ReferenceKeysKeepTheirTextAndMeasuredKeysAddOrderAndDeviceKind()
    {
        var reference = Key;
        Assert.DoesNotContain("order:", reference.CanonicalText, StringComparison.Ordinal);
        Assert.EndsWith("|labels:random2,seed:3", reference.CanonicalText, StringComparison.Ordinal);
        var cpu = Key with { CandidateOrder = CandidateOrder.Measured, DeviceKind = "CPU" };
        Assert.Equal("cpu", cpu.DeviceKind);
        Assert.EndsWith("|order:measured|device:cpu", cpu.CanonicalText, StringComparison.Ordinal);
        Assert.Contains("-D4-measured-cpu-", cpu.FileName, StringComparison.Ordinal);
        var cuda = cpu.OnOtherDevice!;
        Assert.Equal("cuda", cuda.DeviceKind);
        Assert.NotEqual(cpu.FileName, cuda.FileName);
        Assert.Equal(cpu, cuda.OnOtherDevice);
        Assert.Null(reference.OnOtherDevice);
        Assert.Throws<ArgumentException>(() => Key with { DeviceKind = " " });
    }

    [Fact]
    public void Version3FilesRoundTripAndVersion2FilesStillLoadAsReferenceOrder()
    {
        var key = Key with { CandidateOrder = CandidateOrder.Measured, DeviceKind = "cuda" };
        var methods = new[] { new[] { AttentionMethod.Full }, [AttentionMethod.FullCfgShare], [AttentionMethod.OutputShare] };
        var plan = new CompressionPlan(key, methods, new PlanSearchReport(3, 1, true, [1, 2], 3) { PredictedAttentionTimeFraction = 0.625 },
            new PlanModelShape(16, 64) { Heads = 2 });
        var json = PlanSerializer.ToJson(plan).Replace("\"version\": 5", "\"version\": 3", StringComparison.Ordinal);
        Assert.Contains("\"version\": 3", json, StringComparison.Ordinal);                   // written as 5 since block forecast; 3 loads
        var back = PlanSerializer.Parse(json, "v3.json");
        Assert.Equal(key, back.Key);
        Assert.Equal((2, 0.625), (back.Shape!.Heads, back.Search!.PredictedAttentionTimeFraction));

        var reference = new CompressionPlan(Key, methods, shape: new PlanModelShape(16, 64));
        var v2 = PlanSerializer.ToJson(reference).Replace("\"version\": 5", "\"version\": 2", StringComparison.Ordinal)
            .Replace("\"deviceKind\": null,", "", StringComparison.Ordinal).Replace(",\n    \"deviceKind\": null", "", StringComparison.Ordinal);
        Assert.DoesNotContain("deviceKind", v2, StringComparison.Ordinal);
        var old = PlanSerializer.Parse(v2, "v2.json");
        Assert.Equal(Key, old.Key);
        Assert.Equal((CandidateOrder.Reference, null, null), (old.Key.CandidateOrder, old.Key.DeviceKind, old.Shape!.Heads));
        Assert.Equal(reference.Key.FileName, old.Key.FileName);                               // a version 2 file keeps its name
    }

    [Fact]
    public async Task AMeasuredPlanIsSavedAndFoundAgainAndUsedWithAWarningOnAnotherDeviceKind()
    {
        var costs = new FixedCostModel(TestCostModels.Costs(full: 1, refresh: 1.2, wars: 0.6, asc: 0.55, warsAsc: 0.4, ast: 0.01));
        using var model = RandomModels.Create(DiTRandomModels.Tiny, new RandomModelOptions { Depth = 2, Seed = 2, CostModel = costs });
        var generation = model.Prepare(new GenerationRequest { Prompt = "1", Steps = 3, Sampler = "ddim", GuidanceScale = 4, Preset = "D6" });
        var settings = new PlanSearchSettings { CalibrationCount = 2 };
        var user = Path.Combine(_dir, "user");
        var searched = await new PlanResolver(new PlanResolverOptions { UserFolder = user, Search = settings })
            .ResolveAsync(model, generation, search: true);
        Assert.Equal(PlanSource.Searched, searched!.Source);
        Assert.Equal((CandidateOrder.Measured, "cpu"), (searched.Plan.Key.CandidateOrder, searched.Plan.Key.DeviceKind));
        Assert.NotNull(searched.Plan.Search!.PredictedAttentionTimeFraction);

        var again = new PlanResolver(new PlanResolverOptions { UserFolder = user, Search = settings });
        var found = await again.ResolveAsync(model, generation, search: false);
        Assert.Equal((PlanSource.Folder, searched.Path, null), (found!.Source, found.Path, found.Warning));
        Assert.Equal(searched.Plan.Methods, found.Plan.Methods);
        Assert.Equal(0, again.Searches);

        // The same plan searched on a GPU, in a fresh folder: used here with a warning, not searched again.
        var gpu = Path.Combine(_dir, "gpu");
        var cudaPlan = new CompressionPlan(searched.Plan.Key with { DeviceKind = "cuda" }, searched.Plan.Methods, searched.Plan.Search,
            searched.Plan.Shape);
        new PlanDirectory(gpu).Save(cudaPlan);
        var other = new PlanResolver(new PlanResolverOptions { UserFolder = gpu, Search = settings });
        var used = await other.ResolveAsync(model, generation, search: true);
        Assert.Equal(PlanSource.Folder, used!.Source);
        Assert.Equal("cuda", used.Plan.Key.DeviceKind);
        Assert.Contains("searched for cuda and is used on cpu", used.Warning, StringComparison.Ordinal);
        Assert.Contains("fastattn search", used.Warning, StringComparison.Ordinal);
        Assert.Equal(0, other.Searches);

        // A reference-order lookup never takes a measured plan.
        var referenceOrder = settings with { CandidateOrder = CandidateOrder.Reference };
        Assert.Null(await new PlanResolver(new PlanResolverOptions { UserFolder = user, Search = referenceOrder })
            .ResolveAsync(model, generation, search: false));
    }
}
