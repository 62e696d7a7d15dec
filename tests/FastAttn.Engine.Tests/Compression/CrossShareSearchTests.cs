using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>
/// The block-scope search picks cross-attention sharing on a PixArt model where it is lossless: the tiny PixArt with its
/// cross-attention queries zeroed attends to every caption token alike, so the cross-attention output depends on the caption
/// only — the same at every step (sharing it is exact), different between the CFG halves (CFG sharing of the MLP is not).
/// Reference order, δ far below every lossy candidate's loss: the plan does not depend on the machine.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class CrossShareSearchTests : IDisposable
{
    private readonly TinyFamilyFolders _folders = new("cross-share");

    private static PixArtGenerationRequest Image() => new() { Prompts = ["a cat on the mat", "a red boat"], Seeds = [2], Steps = 4 };

    /// <summary>The tiny PixArt with the parameters whose names contain <paramref name="zeroed"/> set to 0 (2 layers × weight, bias).</summary>
    private PixArtPipeline Pipeline(string zeroed)
    {
        var pipeline = PixArtPipelineFolder.Load(_folders.PixArt);
        int count = 0;
        using (no_grad())
            foreach (var (name, parameter) in pipeline.Transformer.named_parameters())
                if (name.Contains(zeroed, StringComparison.Ordinal)) { parameter.zero_(); count++; }
        Assert.Equal(4, count);
        return pipeline;
    }

    /// <summary>The guided block-scope plan at δ = 1e-9, reference order; step 0 full; it runs without fallbacks.</summary>
    private static CompressionPlan Search(PixArtPipeline pipeline)
    {
        var search = new PixArtPlanSearch(pipeline);
        var settings = new PlanSearchSettings { CalibrationCount = 2, CandidateOrder = CandidateOrder.Reference, SearchScope = SearchScope.Block };
        var plan = search.Search(search.OptionsFor(Image(), 1e-9, settings));
        Assert.True(plan.Key.GuidanceScale > 1);
        Assert.All(plan.Blocks![0], b => Assert.Equal(BlockMethod.Full, b));
        using var run = pipeline.Generate(Image() with { Plan = plan });
        Assert.Equal(0, run.AttentionFallbacks);
        var loaded = PlanSerializer.Parse(PlanSerializer.ToJson(plan), "cross");
        Assert.Equal(plan.Blocks, loaded.Blocks);
        return plan;
    }

    [Fact]
    public void AGuidedBlockSearchSharesALosslessCrossAttentionOnEveryComputedBlock()
    {
        using var pipeline = Pipeline("attn2.to_q");                                        // queries 0: every caption token alike
        var plan = Search(pipeline);
        Assert.All(plan.Blocks!.Skip(1).SelectMany(r => r), b => Assert.Equal(BlockMethod.CrossShare, b));
        var (flops, full) = plan.TransformerFlops!.Value;
        Assert.Equal(full.CrossAttention / plan.Methods.Length, flops.CrossAttention, 6);   // computed at step 0 only
        Assert.Equal(full.Mlp, flops.Mlp);
    }

    [Fact]
    public void AGuidedBlockSearchSharesTheCrossAttentionBesideACfgSharedMlp()
    {
        using var pipeline = Pipeline("attn2.to_out");                                      // output 0: the CFG halves are equal
        var plan = Search(pipeline);
        Assert.All(plan.Blocks!.Skip(1).SelectMany(r => r), b => Assert.Equal(BlockMethod.CrossMlpCfgShare, b));
        var (flops, full) = plan.TransformerFlops!.Value;
        Assert.Equal(full.CrossAttention / plan.Methods.Length, flops.CrossAttention, 6);
        Assert.Equal(full.Mlp * (1 + 0.5 * (plan.Methods.Length - 1)) / plan.Methods.Length, flops.Mlp, 6);
    }

    public void Dispose() => _folders.Dispose();
}
