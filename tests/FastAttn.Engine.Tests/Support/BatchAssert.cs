using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Support;

/// <summary>Batched runs against the same requests run alone: decoded pixels on [0, 1] within a bound, and PNG bytes.</summary>
internal static class BatchAssert
{
    /// <summary>
    /// The bound on |batched − alone| of a pixel on [0, 1], before quantisation: 5e-5, 1/78 of one 8-bit level (measured
    /// up to 1.6e-5: tiny-mnist with its AST-rich D4 plan, where float rounding of the batched GEMMs compounds over 25 steps).
    /// </summary>
    public const double PixelTolerance = 5e-5;

    /// <summary>
    /// Runs <paramref name="members"/> together with <paramref name="plan"/> and each alone, and asserts every member's
    /// items equal its own run's within <see cref="PixelTolerance"/>, with the same seeds. Returns (largest pixel difference,
    /// encoded items whose bytes match (0 for latents, which do not encode), items).
    /// </summary>
    public static (double MaxDiff, int SameBytes, int Items) SameAsAlone(IReadOnlyList<PreparedGeneration> members, CompressionPlan? plan,
        ITestOutputHelper? output = null)
    {
        var batched = PreparedGeneration.RunTogether(members, plan);
        try
        {
            Assert.Equal(members.Count, batched.Count);
            double worst = 0;
            int same = 0, items = 0;
            for (int i = 0; i < members.Count; i++)
            {
                using var alone = members[i].Run(plan);
                Assert.Equal(alone.Seeds, batched[i].Seeds);
                Assert.Equal(alone.Items.shape, batched[i].Items.shape);
                double diff = MaxPixelDiff(alone.Items, batched[i].Items);
                Assert.True(diff <= PixelTolerance, $"member {i}: pixels differ by {diff:E2} > {PixelTolerance:E0}");
                worst = Math.Max(worst, diff);
                bool encodable = alone.Items.shape[1] is 1 or 3;                                    // latents without a decoder are not
                for (int j = 0; j < alone.Count; j++, items++)
                    if (encodable && alone.Encode(j).AsSpan().SequenceEqual(batched[i].Encode(j))) same++;
            }
            output?.WriteLine($"{members.Count} members, {items} items: max pixel diff {worst:E2}, encoded bytes equal for {same}/{items}");
            return (worst, same, items);
        }
        finally
        {
            foreach (var o in batched) o.Dispose();
        }
    }

    /// <summary>max |a − b| of the items mapped from [−1, 1] to pixels on [0, 1] (clamped as when quantised).</summary>
    public static double MaxPixelDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var pa = ((a.to(ScalarType.Float64) + 1) / 2).clamp(0, 1);
        var pb = ((b.to(ScalarType.Float64) + 1) / 2).clamp(0, 1);
        return (pa - pb).abs().max().item<double>();
    }

    /// <summary>
    /// A plan for <paramref name="generation"/> whose every layer cycles through AST, WA-RS, WA-RS+ASC and ASC after a
    /// full first step, so every cache is exercised.
    /// </summary>
    public static CompressionPlan MixedPlan(PreparedGeneration generation, int layers)
    {
        AttentionMethod[] cycle =
        [
            AttentionMethod.OutputShare, AttentionMethod.WindowResidual, AttentionMethod.WindowResidualCfgShare, AttentionMethod.FullCfgShare,
        ];
        var key = generation.PlanKey(0.1);
        var methods = Enumerable.Range(0, key.Steps).Select(step => Enumerable.Range(0, layers)
            .Select(layer => step == 0 ? AttentionMethod.Full : cycle[(step + layer) % cycle.Length]).ToArray()).ToArray();
        return new CompressionPlan(key, methods);
    }
}
