using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Attention.Windows;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Attention;

/// <summary>The runner runs each window on the implementation the (injected, fixed) cost model picks; outputs do not change.</summary>
[Collection(SequentialCollection.Name)]
public class WindowKernelChoiceTests
{
    /// <summary>A cost model under which <paramref name="fastest"/> is the cheapest window kernel at every shape.</summary>
    private static FixedCostModel Fastest(WindowImplementation fastest) =>
        new(new AttentionCosts(1, 1, 1, 1, 1, 0, 1, WindowImplementations.All.ToDictionary(i => i, i => i == fastest ? 0.5 : 2.0)));

    [Fact]
    public void TheChoiceIsTheCostModelsFastestElseTheBuiltInOne()
    {
        var block = WindowSpec.ForTokens(64, WindowSemantics.BlockBand);
        var token = WindowSpec.ForTokens(64, WindowSemantics.TokenBand);
        Assert.Equal(WindowImplementation.DenseMasked, WindowKernelChoice.For(block, 64, 4, 32, Fastest(WindowImplementation.DenseMasked)));
        Assert.Equal(WindowImplementation.BlockBand, WindowKernelChoice.For(block, 64, 4, 32, Fastest(WindowImplementation.BlockBand)));
        Assert.Equal(WindowImplementation.TokenBand, WindowKernelChoice.For(token, 64, 4, 32, Fastest(WindowImplementation.TokenBand)));
        // A kernel that does not compute the semantics is never chosen.
        Assert.Equal(WindowKernelChoice.BuiltIn(block, 64), WindowKernelChoice.For(block, 64, 4, 32, Fastest(WindowImplementation.TokenBand)));
        Assert.Equal(WindowKernelChoice.BuiltIn(token, 64), WindowKernelChoice.For(token, 64, 4, 32, costModel: null));
        Assert.True(WindowKernelChoice.BuiltIn(token, 64).Supports(WindowSemantics.TokenBand));
        Assert.True(WindowKernelChoice.BuiltIn(block, 64).Supports(WindowSemantics.BlockBand));
        // Built in: one dense call at small N, the gathered kernel above.
        Assert.Equal(WindowImplementation.DenseMasked, WindowKernelChoice.BuiltIn(block, 64));
        Assert.Equal(WindowImplementation.Gathered, WindowKernelChoice.BuiltIn(WindowSpec.ForTokens(1024), 1024));
        Assert.Equal(WindowImplementation.Gathered, WindowKernelChoice.BuiltIn(WindowSpec.ForTokens(256, WindowSemantics.TokenBand), 256));
    }

    [Fact]
    public void TheCostModelSeesTheShapeAtOneCfgPair()
    {
        var seen = new List<AttentionShape>();
        var model = new FixedCostModel(shape =>
        {
            seen.Add(shape);
            return Fastest(WindowImplementation.Gathered).CostsFor(shape);
        });
        var spec = WindowSpec.ForTokens(100, WindowSemantics.TokenBand, 12);
        WindowKernelChoice.For(spec, 100, 3, 16, model);
        Assert.Equal(new AttentionShape(100, 3, 16, 2, WindowSemantics.TokenBand, 12), Assert.Single(seen));
    }

    [Theory]
    [InlineData(WindowImplementation.BlockBand)]
    [InlineData(WindowImplementation.Gathered)]
    [InlineData(WindowImplementation.DenseMasked)]
    public void TheRunnerPreparesTheChosenKernelAndGivesTheSameOutput(WindowImplementation implementation)
    {
        manual_seed(5);
        using var attn = new SelfAttention(32, 4);
        using var noGrad = no_grad();
        using var g = new TorchSharp.torch.Generator(9);
        using var x = randn([4, 100, 32], generator: g);
        using var y = randn([4, 100, 32], generator: g);
        AttentionMethod[][] plan = [[AttentionMethod.Full], [AttentionMethod.WindowResidual], [AttentionMethod.Window]];
        var outputs = new List<Tensor>();
        foreach (var model in new IAttentionCostModel?[] { null, Fastest(implementation) })
        {
            using var runner = new FastAttentionRunner(plan, n => WindowSpec.ForTokens(n), true, CfgBatchOrder.ConditionalFirst, costModel: model);
            for (int step = 0; step < 3; step++)
            {
                runner.BeginStep(step);
                outputs.Add(runner.Run(0, attn, step == 0 ? x : y));
            }
            if (model is not null) Assert.Equal(implementation, runner.WindowImplementationsInUse[100]);
        }
        for (int step = 0; step < 3; step++)
            TensorAssert.RelativeClose(outputs[step], outputs[3 + step], 1e-5, $"{implementation} step {step}");
        foreach (var o in outputs) o.Dispose();
    }

    [Fact]
    public async Task AGenerationWithAPlanIsTheSameWhicheverImplementationTheCostModelPicks()
    {
        var images = new List<Tensor>();
        foreach (var implementation in new[] { WindowImplementation.BlockBand, WindowImplementation.Gathered, WindowImplementation.DenseMasked })
        {
            using var model = ModelFamilyRegistry.Default.Load(BuiltInModels.Default,
                ModelLoadSettings.For("cpu") with { CostModel = Fastest(implementation) });
            var generation = model.Prepare(new GenerationRequest { Prompt = "7", Preset = "D6", Seed = 11 });
            var resolved = await new PlanResolver(new PlanResolverOptions { UserFolder = Path.GetTempPath() })
                .ResolveAsync(model, generation, search: false);
            Assert.NotNull(resolved);
            // The shipped plan's key, with every second step WA-RS (+ ASC) after a refresh (whatever the shipped plan holds).
            var methods = resolved.Plan.Methods.Select((step, s) => step.Select((_, l) => s % 2 == 0 ? AttentionMethod.Full
                : (l % 2 == 0 ? AttentionMethod.WindowResidual : AttentionMethod.WindowResidualCfgShare)).ToArray()).ToArray();
            using var output = generation.Run(new CompressionPlan(resolved.Plan.Key, methods, shape: resolved.Plan.Shape));
            Assert.Equal(0, output.AttentionFallbacks);
            images.Add(output.Items.clone());
        }
        for (int i = 1; i < images.Count; i++)
            TensorAssert.RelativeClose(images[0], images[i], 1e-5, $"block band vs implementation {i}");
        foreach (var image in images) image.Dispose();
    }
}
