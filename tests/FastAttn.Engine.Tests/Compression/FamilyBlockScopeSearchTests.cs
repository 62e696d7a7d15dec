using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static FastAttn.Engine.Tests.Support.TensorAssert;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>
/// The block-scope search and its plans on the tiny PixArt and Open-Sora folders (reference candidate order: no costs, no
/// timing): an all-full block plan is the raw pipeline bit for bit, a searched plan says block in its key and runs without
/// fallbacks; Open-Sora's temporal plans stay in the attention scope (a typed error).
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class FamilyBlockScopeSearchTests : IDisposable
{
    private readonly TinyFamilyFolders _folders = new("block");

    private static PlanSearchSettings Block(int calibration = 2) =>
        new() { CalibrationCount = calibration, CandidateOrder = CandidateOrder.Reference, SearchScope = SearchScope.Block };

    private static PixArtGenerationRequest Image() => new() { Prompts = ["a cat on the mat", "a red boat"], Seeds = [2], Steps = 4 };

    private static VideoGenerationRequest Clip() => new() { Prompts = ["a red fox"], Seeds = [1], Frames = 4, Height = 32, Width = 48, Steps = 4 };

    private static void AssertBlockPlan(CompressionPlan plan)
    {
        Assert.Equal(SearchScope.Block, plan.Key.SearchScope);
        Assert.Contains("-block", plan.Key.FileName);
        Assert.Contains("scope:block", plan.Key.CanonicalText);
        Assert.All(plan.Blocks![0], m => Assert.Equal(BlockMethod.Full, m));                 // step 0 stays full
        Assert.Contains(plan.Blocks.SelectMany(r => r), m => m != BlockMethod.Full);
        for (int s = 0; s < plan.Methods.Length; s++)                                       // a reused block's attention entry is AST
            for (int l = 0; l < plan.Layers; l++)
                if (plan.Blocks[s][l] == BlockMethod.Reuse) Assert.Equal(AttentionMethod.OutputShare, plan.Methods[s][l]);
        var path = Path.Combine(Path.GetTempPath(), plan.Key.FileName);
        PlanSerializer.Save(plan, path);
        var loaded = PlanSerializer.Load(path);
        File.Delete(path);
        Assert.Equal(plan.Blocks, loaded.Blocks);
        Assert.True(loaded.Shape!.CaptionTokens > 0);
        Assert.True(loaded.TransformerFlops!.Value.Full.CrossAttention > 0, "the cross-attention is counted");

        // Cross-attention sharing on every layer at every other step: its FLOPs halve, its cache is one entry per layer.
        var methods = plan.Methods.Select(r => r.Select(_ => AttentionMethod.Full).ToArray()).ToArray();
        var blocks = plan.Methods.Select((r, s) => r.Select(_ => s % 2 == 1 ? BlockMethod.CrossShare : BlockMethod.Full).ToArray()).ToArray();
        var shared = new CompressionPlan(plan.Key, methods, blocks, shape: plan.Shape);
        var (sharedFlops, full) = shared.TransformerFlops!.Value;
        Assert.Equal(full.CrossAttention / 2, sharedFlops.CrossAttention, 6);
        Assert.Equal(full.Mlp, sharedFlops.Mlp);
        var memory = PlanMemory.ByKind(shared, 1, plan.Shape!.Tokens, plan.Shape.Hidden);
        Assert.Equal(plan.Layers * 2L * plan.Shape.Tokens * plan.Shape.Hidden * 4, memory.CrossAttention);
        Assert.Equal(0, memory.Mlp + memory.Block);
    }

    [Fact]
    public void PixArtBlockScopeAllFullIsRawBitForBitAndASearchedPlanRunsWithoutFallbacks()
    {
        using var pipeline = PixArtPipelineFolder.Load(_folders.PixArt);
        var search = new PixArtPlanSearch(pipeline);
        var zero = search.Search(search.OptionsFor(Image(), 0, Block()));
        Assert.All(zero.Blocks!.SelectMany(r => r), m => Assert.Equal(BlockMethod.Full, m));
        using (var raw = pipeline.Generate(Image()))
        using (var planned = pipeline.Generate(Image() with { Plan = zero }))
            Assert.True(BitEqual(raw.Images, planned.Images), "an all-full block-scope plan is the raw pipeline");

        var plan = search.Search(search.OptionsFor(Image(), 0.5, Block()));
        AssertBlockPlan(plan);
        Assert.Equal(search.KeyFor(search.OptionsFor(Image(), 0.5, Block())), plan.Key);
        using var whole = pipeline.Generate(Image() with { Plan = plan });
        using var chunked = pipeline.Generate(Image() with { Plan = plan, SamplesPerForward = 1 });
        Assert.Equal(0, whole.AttentionFallbacks);
        Assert.Equal(0, chunked.AttentionFallbacks);                                        // each chunk its own caches
    }

    [Fact]
    public void OpenSoraBlockScopeAllFullIsRawBitForBitAndASearchedSpatialPlanRunsBesideATemporalPlan()
    {
        using var pipeline = OpenSoraPipelineFolder.Load(_folders.OpenSora);
        var search = new OpenSoraPlanSearch(pipeline);
        var zero = search.Search(search.OptionsFor(Clip(), 0, Block()));
        Assert.All(zero.Blocks!.SelectMany(r => r), m => Assert.Equal(BlockMethod.Full, m));
        using (var raw = pipeline.Generate(Clip()))
        using (var planned = pipeline.Generate(Clip() with { Plan = zero }))
            Assert.True(BitEqual(raw.Videos, planned.Videos), "an all-full block-scope plan is the raw pipeline");

        var plan = search.Search(search.OptionsFor(Clip(), 0.3, Block()));
        AssertBlockPlan(plan);
        Assert.Equal(VideoAttention.Spatial, plan.Key.Target);
        Assert.Equal((4, plan.Shape!.Tokens), (plan.Shape.Frames, plan.Shape.FrameTokens));       // the clip: the temporal attention counted
        Assert.True(plan.TransformerFlops!.Value.Full.TemporalAttention > 0);
        using var compressed = pipeline.Generate(Clip() with { Plan = plan });
        Assert.Equal(0, compressed.AttentionFallbacks);

        var temporal = search.Search(search.OptionsFor(Clip(), 0.3, Block() with { SearchScope = SearchScope.Attention,
            Target = VideoAttention.Temporal }));
        using var both = pipeline.Generate(Clip() with { Plan = plan, TemporalPlan = temporal });
        Assert.Equal(both.Videos.shape, compressed.Videos.shape);
    }

    [Fact]
    public void OpenSoraTemporalPlansStayInTheAttentionScope()
    {
        using var pipeline = OpenSoraPipelineFolder.Load(_folders.OpenSora);
        var search = new OpenSoraPlanSearch(pipeline);
        var options = search.OptionsFor(Clip(), 0.3, Block() with { Target = VideoAttention.Temporal });
        var error = Assert.Throws<SearchScopeNotSupportedException>(() => search.Search(options));
        Assert.Equal(SearchScope.Block, error.Scope);
        Assert.Contains("temporal", error.Message);
    }

    public void Dispose() => _folders.Dispose();
}
