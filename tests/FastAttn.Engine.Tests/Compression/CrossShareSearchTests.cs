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

    [Fact]
    public void AGuidedBlockSearchSharesALosslessCrossAttentionOnEveryComputedBlock()
    {
        using var pipeline = PixArtPipelineFolder.Load(_folders.PixArt);
        int zeroed = 0;
        using (no_grad())
            foreach (var (name, parameter) in pipeline.Transformer.named_parameters())
                if (name.Contains("attn2.to_q", StringComparison.Ordinal)) { parameter.zero_(); zeroed++; }
        Assert.Equal(4, zeroed);                                                            // 2 layers × weight and bias

        var search = new PixArtPlanSearch(pipeline);
        var settings = new PlanSearchSettings { CalibrationCount = 2, CandidateOrder = CandidateOrder.Reference, SearchScope = SearchScope.Block };
        var plan = search.Search(search.OptionsFor(Image(), 1e-9, settings));
        Assert.True(plan.Key.GuidanceScale > 1);
        Assert.All(plan.Blocks![0], b => Assert.Equal(BlockMethod.Full, b));
        Assert.All(plan.Blocks.Skip(1).SelectMany(r => r), b => Assert.Equal(BlockMethod.CrossShare, b));

        var (flops, full) = plan.TransformerFlops!.Value;
        Assert.Equal(full.CrossAttention / plan.Methods.Length, flops.CrossAttention, 6);   // computed at step 0 only
        Assert.Equal(full.Mlp, flops.Mlp);
        using var run = pipeline.Generate(Image() with { Plan = plan });
        Assert.Equal(0, run.AttentionFallbacks);
    }

    [Fact]
    public void AGuidedBlockSearchSharesTheCrossAttentionBesideACfgSharedMlp()
    {
        using var pipeline = PixArtPipelineFolder.Load(_folders.PixArt);
        int zeroed = 0;
        using (no_grad())                                                                   // cross-attention output 0: the caption has no
            foreach (var (name, parameter) in pipeline.Transformer.named_parameters())      // effect, the CFG halves are equal
                if (name.Contains("attn2.to_out", StringComparison.Ordinal)) { parameter.zero_(); zeroed++; }
        Assert.Equal(4, zeroed);

        var search = new PixArtPlanSearch(pipeline);
        var settings = new PlanSearchSettings { CalibrationCount = 2, CandidateOrder = CandidateOrder.Reference, SearchScope = SearchScope.Block };
        var plan = search.Search(search.OptionsFor(Image(), 1e-9, settings));
        Assert.All(plan.Blocks!.Skip(1).SelectMany(r => r), b => Assert.Equal(BlockMethod.CrossMlpCfgShare, b));
        var (flops, full) = plan.TransformerFlops!.Value;
        Assert.Equal(full.CrossAttention / plan.Methods.Length, flops.CrossAttention, 6);
        Assert.Equal(full.Mlp * (1 + 0.5 * (plan.Methods.Length - 1)) / plan.Methods.Length, flops.Mlp, 6);
        var loaded = PlanSerializer.Parse(PlanSerializer.ToJson(plan), "cross-mlp-asc");
        Assert.Equal(plan.Blocks, loaded.Blocks);
        using var run = pipeline.Generate(Image() with { Plan = plan });
        Assert.Equal(0, run.AttentionFallbacks);
    }

    public void Dispose() => _folders.Dispose();
}
