using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static FastAttn.Engine.Attention.AttentionMethod;
using static FastAttn.Engine.Attention.BlockMethod;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>Block-scope plans on disk and in the key, presets B1..B6, and their FLOPs, memory and predicted time.</summary>
public sealed class BlockPlanFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-blockplan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PlanKey Key(SearchScope scope, double delta = 0.075) =>
        new("c40f566c86b876ed", 32, 3, "ddim", 2.5, WindowSpec.ForTokens(64), delta, "labels:random8,seed:3")
        {
            SearchScope = scope, CandidateOrder = CandidateOrder.Measured, DeviceKind = "cpu",
        };

    /// <summary>A B3 key: block scope, SSIM, δ = 0.0075, forecast on.</summary>
    private static PlanKey BlockKey() => Key(SearchScope.Block, CompressionPresets.Threshold("B3")) with
    {
        Metric = SearchMetric.Ssim, BlockForecast = true,
    };

    private static CompressionPlan BlockPlan() => new(BlockKey(),
        [[AttentionMethod.Full, AttentionMethod.Full], [OutputShare, FullCfgShare], [AttentionMethod.Full, OutputShare]],
        [[BlockMethod.Full, BlockMethod.Full], [Reuse, MlpCfgShare], [BlockMethod.Full, MlpShare]],
        shape: new PlanModelShape(64, 96) { Heads = 4 });

    [Fact]
    public void ABlockPlanRoundTripsAsVersion5AndOlderFilesStillLoad()
    {
        var plan = BlockPlan();
        var path = new PlanDirectory(_dir).Save(plan);
        Assert.Contains("-B3-ssim-block-measured-cpu-", Path.GetFileName(path));
        Assert.Contains("\"version\": 5", File.ReadAllText(path));
        var loaded = PlanSerializer.Load(path);
        Assert.Equal(plan.Key, loaded.Key);
        Assert.Equal(plan.Methods, loaded.Methods);
        Assert.Equal(plan.Blocks, loaded.Blocks);

        var attention = new CompressionPlan(Key(SearchScope.Attention), plan.Methods);
        var v3 = PlanSerializer.ToJson(attention).Replace("\"version\": 5", "\"version\": 3", StringComparison.Ordinal);
        var old = PlanSerializer.Parse(v3, "v3.json");
        Assert.Null(old.Blocks);
        Assert.Equal(SearchScope.Attention, old.Key.SearchScope);
        Assert.Equal(BlockMethod.Full, old.BlockAt(1, 1));

        var v4 = PlanSerializer.ToJson(new CompressionPlan(BlockKey() with { BlockForecast = false }, plan.Methods, plan.Blocks!))
            .Replace("\"version\": 5", "\"version\": 4", StringComparison.Ordinal);
        var fromV4 = PlanSerializer.Parse(v4, "v4.json");                                   // version 4 had no forecast
        Assert.False(fromV4.Key.BlockForecast);
        Assert.Equal(plan.Blocks, fromV4.Blocks);
        Assert.NotEqual(plan.Key.FileName, fromV4.Key.FileName);                            // never found for a forecasting search
    }

    [Fact]
    public void AForecastFlagOnAnAttentionScopeKeyOrNotABooleanIsRejected()
    {
        var json = PlanSerializer.ToJson(BlockPlan());
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node["key"]!["blockForecast"] = "yes";
        Assert.Contains("blockForecast", Assert.Throws<PlanFormatException>(() => PlanSerializer.Parse(node.ToJsonString(), "f.json")).Message);
        var attention = System.Text.Json.Nodes.JsonNode.Parse(PlanSerializer.ToJson(new CompressionPlan(Key(SearchScope.Attention),
            BlockPlan().Methods)))!.AsObject();
        attention["key"]!["blockForecast"] = true;
        Assert.Contains("not block", Assert.Throws<PlanFormatException>(() => PlanSerializer.Parse(attention.ToJsonString(), "a.json")).Message);
    }

    [Fact]
    public void ABlockScopeFileWithoutItsBlockMethodsIsRejected()
    {
        var json = PlanSerializer.ToJson(BlockPlan());
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove("blocks");
        var e = Assert.Throws<PlanFormatException>(() => PlanSerializer.Parse(node.ToJsonString(), "b.json"));
        Assert.Contains("block methods", e.Message);
        Assert.Throws<ArgumentException>(() => new CompressionPlan(Key(SearchScope.Attention), BlockPlan().Methods, BlockPlan().Blocks!));
    }

    [Fact]
    public void BPresetsAreTheDThresholdsOverTenOnSsimInTheBlockScopeAndTheirKeysDiffer()
    {
        Assert.Equal(CompressionPresets.Threshold("D3") / 10, CompressionPresets.Threshold("b3"), 15);
        Assert.Equal(0.0075, CompressionPresets.Threshold("B3"), 15);
        Assert.Equal(SearchMetric.Ssim, CompressionPresets.MetricOf("B3"));
        Assert.Null(CompressionPresets.MetricOf("D3"));
        Assert.Equal(SearchMetric.Ssim, new PlanSearchSettings { Metric = SearchMetric.GuidedOutput }.ForPreset("B2").Metric);
        Assert.Equal(SearchMetric.GuidedOutput, new PlanSearchSettings { Metric = SearchMetric.GuidedOutput }.ForPreset("D2").Metric);
        Assert.Equal(SearchScope.Block, CompressionPresets.ScopeOf("B3"));
        Assert.Equal(SearchScope.Attention, CompressionPresets.ScopeOf("D3"));
        Assert.Null(CompressionPresets.ScopeOf("raw"));
        Assert.Null(CompressionPresets.ScopeOf("δ=0.06"));
        Assert.True(CompressionPresets.IsPreset(" b6 "));
        Assert.Equal(SearchScope.Block, new PlanSearchSettings().ForPreset("B2").SearchScope);
        Assert.Equal(SearchScope.Attention, new PlanSearchSettings { SearchScope = SearchScope.Block }.ForPreset("D2").SearchScope);
        var (d, b) = (Key(SearchScope.Attention), BlockKey());
        Assert.NotEqual(d, b);
        Assert.NotEqual(d.FileName, b.FileName);
        Assert.Contains("-D3-measured-cpu-", d.FileName);                                    // attention-scope names unchanged
        Assert.Equal("B3", CompressionPresets.NameOf(0.0075, OutputKind.Image, SearchScope.Block));
        Assert.Null(CompressionPresets.NameOf(0.075, OutputKind.Image, SearchScope.Block, SearchMetric.GuidedOutput));   // not a B preset
        Assert.NotEqual(b.FileName, (b with { BlockForecast = false }).FileName);
        Assert.Contains("B6", Assert.Throws<NotSupportedException>(() => CompressionPresets.Threshold("B7")).Message);
    }

    [Fact]
    public void TransformerFlopsCountReusedBlocksAsFreeAndSharedMlpsAsSaved()
    {
        var shape = new FlopsShape(64, 96, 2, CfgBatch: true);
        long pairs = WindowSpec.ForTokens(64).WindowPairs(64);
        var full = TransformerFlopsAccounting.Entry(AttentionMethod.Full, false, BlockMethod.Full, shape, pairs);
        Assert.Equal(0, TransformerFlopsAccounting.Entry(OutputShare, false, Reuse, shape, pairs).Total);
        var share = TransformerFlopsAccounting.Entry(AttentionMethod.Full, false, MlpShare, shape, pairs);
        Assert.Equal(full.Total - full.Mlp, share.Total, 6);
        Assert.Equal(full.Mlp / 2, TransformerFlopsAccounting.Entry(AttentionMethod.Full, false, MlpCfgShare, shape, pairs).Mlp, 6);
        var attentionOnly = new CompressionPlan(Key(SearchScope.Attention), BlockPlan().Methods, shape: new PlanModelShape(64, 96));
        Assert.True(BlockPlan().Flops!.TransformerFraction < attentionOnly.Flops!.TransformerFraction);
        Assert.Equal(attentionOnly.Flops.ModuleFraction, BlockPlan().Flops!.ModuleFraction, 12);
    }

    [Fact]
    public void CacheMemoryIsCountedPerKindAndThePredictedTimeChargesEachBlockMethod()
    {
        var memory = PlanMemory.ByKind(BlockPlan(), 1, 64, 96);
        long entry = 2L * 64 * 96 * 4;
        Assert.Equal((2 * entry, 0L, entry, entry), (memory.AttentionOutput, memory.WindowResidual, memory.Mlp, memory.Block));
        Assert.True(memory.Total >= entry * 2);
        var attentionOnly = new CompressionPlan(Key(SearchScope.Attention), BlockPlan().Methods);
        Assert.Equal(PlanMemory.PeakBytes(attentionOnly.Methods, 1, 64, 96, true), PlanMemory.ByKind(attentionOnly, 1, 64, 96).Total);

        var costs = TestCostModels.Costs(full: 1, refresh: 1.3, wars: 0.7, asc: 0.5, warsAsc: 0.45, ast: 0);
        var block = new BlockCosts(1, MlpMs: 2, OtherMs: 0.5);
        var plan = BlockPlan();
        // Entries: step 0 full+full (3.5 each); step 1: reuse (0), ASC 0.5 + other 0.5 + MLP 1; step 2: full 3.5, AST 0 + 0.5 + 0.
        double expected = (3.5 * 2 + 0 + 2 + 3.5 + 0.5) / (3.5 * 6);
        Assert.Equal(expected, block.TimeFraction(plan.Methods, plan.Blocks, costs, cfgBatch: true), 12);
        Assert.Equal(1, block.TimeFraction(CompressionPlan.Full(Key(SearchScope.Attention), 2).Methods, null, costs, true), 12);
    }
}
