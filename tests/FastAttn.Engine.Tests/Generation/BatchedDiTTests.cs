using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Families.DiT;
using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Tests.Support;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Engine.Tests.Generation;

/// <summary>
/// Engine-level batching for class-conditional DiT: several requests (and a request's own items) in the same forward
/// passes, each image equal to its request run alone with the same seed.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class BatchedDiTTests(ITestOutputHelper output)
{
    private static RandomModel Tiny() => RandomModels.Create(DiTRandomModels.Tiny, new RandomModelOptions { Depth = 2, Seed = 3 });

    private static GenerationRequest Request(string prompt, int count, long seed) =>
        new() { Prompt = prompt, Count = count, Seed = seed, Steps = 4, Sampler = "ddim", GuidanceScale = 4 };

    [Fact]
    public async Task TinyMnistWithAShippedPlanGivesEveryMemberItsOwnImages()
    {
        using var model = ModelFamilyRegistry.Default.Load(BuiltInModels.Default, ModelLoadSettings.For("cpu"));
        var members = new[] { ("3", 2, 10L), ("7", 1, 99L), ("3", 1, 11L) }
            .Select(m => model.Prepare(new GenerationRequest { Prompt = m.Item1, Count = m.Item2, Seed = m.Item3, Preset = "D4" })).ToArray();
        var user = Directory.CreateTempSubdirectory("fastattn-batch-").FullName;
        try
        {
            var resolved = await new PlanResolver(new PlanResolverOptions { UserFolder = user }).ResolveAsync(model, members[0], search: false);
            Assert.NotNull(resolved);
            Assert.Equal(members[0].BatchKey, members[1].BatchKey);
            Assert.Equal(2 * (11 * 64 * 128 + 2 * 4 * 64 * 64 + 2 * 6 * 64 * 128) * 4, members[0].ItemBytes);   // docs/batching.md
            var (_, same, items) = BatchAssert.SameAsAlone(members, resolved.Plan, output);
            Assert.Equal(4, items);
            output.WriteLine($"tiny-mnist D4: PNG bytes equal for {same} of {items}");
            // Member 2 (seed 11) is item 1 of member 0 (seeds 10, 11) drawn alone: the batch does not change it either.
            var together = PreparedGeneration.RunTogether(members, resolved.Plan);
            try { Assert.True(BatchAssert.MaxPixelDiff(together[0].Items[1], together[2].Items[0]) <= BatchAssert.PixelTolerance); }
            finally { foreach (var o in together) o.Dispose(); }
        }
        finally
        {
            Directory.Delete(user, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MembersWithOtherClassesCountsAndSeedsEqualTheirRunsAlone(bool compressed)
    {
        using var model = Tiny();
        var members = new[] { Request("1", 3, 5), Request("4", 1, 77), Request("9", 2, 5) }.Select(model.Prepare).ToArray();
        var plan = compressed ? BatchAssert.MixedPlan(members[0], 2) : null;
        var (diff, _, items) = BatchAssert.SameAsAlone(members, plan, output);
        Assert.Equal(6, items);
        Assert.InRange(diff, 0, BatchAssert.PixelTolerance);
    }

    [Fact]
    public void ARequestsOwnItemsShareForwardsAndEachEqualsItsSeedAlone()
    {
        using var model = Tiny();
        var plan = BatchAssert.MixedPlan(model.Prepare(Request("2", 1, 0)), 2);
        using var four = model.Prepare(Request("2", 4, 20)).Run(plan);
        Assert.Equal([20L, 21, 22, 23], four.Seeds);
        for (int i = 0; i < 4; i++)
        {
            using var alone = model.Prepare(Request("2", 1, 20 + i)).Run(plan);
            using var item = four.Items[i];
            using var single = alone.Items[0];
            Assert.True(BatchAssert.MaxPixelDiff(single, item) <= BatchAssert.PixelTolerance, $"item {i}");
        }
        using var other = model.Prepare(Request("2", 1, 21)).Run(plan);
        using var first = four.Items[0];
        using var second = other.Items[0];
        Assert.True(BatchAssert.MaxPixelDiff(first, second) > 1e-3, "another seed, another image");
    }

    [Fact]
    public void ItemsPerForwardIsCappedByTheModelSetting()
    {
        var settings = ModelLoadSettings.For("cpu");
        Assert.Equal(16, settings.MaxItemsPerForward);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ModelFamilyRegistry.Default.Load(BuiltInModels.Default, settings with { MaxItemsPerForward = -1 }));
        using var model = ModelFamilyRegistry.Default.Load(BuiltInModels.Default, settings with { MaxItemsPerForward = 2 });
        var request = new GenerationRequest { Prompt = "5", Steps = 4, Seed = 30 };
        var members = new[] { model.Prepare(request with { Count = 3 }), model.Prepare(request with { Count = 2, Seed = 40 }) };
        var (diff, _, items) = BatchAssert.SameAsAlone(members, null, output);                   // the batch: 2 + 2 + 1, alone: 2 + 1 and 2
        Assert.Equal(5, items);
        Assert.InRange(diff, 0, BatchAssert.PixelTolerance);
    }

    [Fact]
    public void MembersThatCannotShareAForwardAreRefused()
    {
        using var model = Tiny();
        var a = model.Prepare(Request("1", 1, 0));
        var steps = model.Prepare(Request("1", 1, 0) with { Steps = 5 });
        var guidance = model.Prepare(Request("1", 1, 0) with { GuidanceScale = 2 });
        var capped = model.Prepare(Request("1", 1, 0) with { CacheCapBytes = 1 << 20 });
        Assert.NotEqual(a.BatchKey, steps.BatchKey);
        Assert.NotEqual(a.BatchKey, guidance.BatchKey);
        Assert.Null(capped.BatchKey);
        Assert.Throws<ArgumentException>(() => PreparedGeneration.RunTogether([a, steps], null));
        Assert.Throws<ArgumentException>(() => PreparedGeneration.RunTogether([a, guidance], null));
        Assert.Throws<ArgumentException>(() => PreparedGeneration.RunTogether([capped, capped], null));
        Assert.Throws<ArgumentException>(() => PreparedGeneration.RunTogether([], null));
        Assert.Equal(a.BatchKey, model.Prepare(Request("8", 3, 9)).BatchKey);               // class, count and seed are not in the key
    }

    [Fact]
    public void OneMemberRunsAsRun()
    {
        using var model = Tiny();
        var member = model.Prepare(Request("6", 2, 4));
        var plan = BatchAssert.MixedPlan(member, 2);
        using var alone = member.Run(plan);
        var together = PreparedGeneration.RunTogether([member], plan);
        using var only = Assert.Single(together);
        Assert.True(alone.Items.equal(only.Items).all().item<bool>());
        Assert.Equal(alone.Seeds, only.Seeds);
    }

    [Fact]
    public void CancellationBetweenStepsStopsTheWholeBatchAndLeavesNoTensors()
    {
        using var model = Tiny();
        var members = new[] { Request("1", 2, 0) with { Steps = 8 }, Request("5", 1, 3) with { Steps = 8 } }.Select(model.Prepare).ToArray();
        var plan = BatchAssert.MixedPlan(members[0], 2);
        foreach (var o in PreparedGeneration.RunTogether(members, plan)) o.Dispose();       // warm: the model's own lazy tensors
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using var cts = new CancellationTokenSource();
        int steps = 0;
        var progress = new SynchronousProgress<DiffusionProgress>(p => { steps = p.Step; if (p.Step == 3) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => PreparedGeneration.RunTogether(members, plan, progress, cts.Token));
        Assert.Equal(3, steps);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
