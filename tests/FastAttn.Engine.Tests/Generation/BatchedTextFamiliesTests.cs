using FastAttn.Engine.Families;
using FastAttn.Engine.Families.OpenSora;
using FastAttn.Engine.Families.PixArt;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Engine.Tests.Generation;

/// <summary>
/// Engine-level batching for the text-conditioned families on tiny pipeline folders (random tiny transformers, the t5-tiny
/// encoder and tokenizer, the vae-tiny decoder): prompts of different lengths (each padded to the caption length with its
/// own mask), negative prompts per member, counts and seeds, each clip or image equal to its request run alone.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class BatchedTextFamiliesTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-batch-text-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PixArtPromptsOfDifferentLengthsAndNegativesEqualTheirRunsAlone(bool compressed)
    {
        TinyPixArtFolder.Write(_dir, TestData.Golden());
        using var model = new PixArtFamily().Load(_dir, ModelLoadSettings.For("cpu") with { MaxItemsPerForward = 3 });   // the batch: 3 + 1
        GenerationRequest Ask(string prompt, int count, long seed, string? negative = null) =>
            new() { Prompt = prompt, Count = count, Seed = seed, Steps = 3, NegativePrompt = negative };
        var members = new[]
        {
            Ask("a fox", 2, 1),
            Ask("a very long prompt about a small red fox jumping over a lazy brown dog in the snow at dusk", 1, 40, "blurry, dark"),
            Ask("waves", 1, 2, "people"),
        }.Select(model.Prepare).ToArray();
        Assert.All(members, m => Assert.Equal(members[0].BatchKey, m.BatchKey));
        var plan = compressed ? BatchAssert.MixedPlan(members[0], 2) : null;
        var (diff, same, items) = BatchAssert.SameAsAlone(members, plan, output);
        Assert.Equal(4, items);
        output.WriteLine($"pixart (plan: {compressed}): max pixel diff {diff:E2}, PNG bytes equal {same}/{items}");
        using var fox = members[0].Run(plan);
        using var first = fox.Items[0];
        using var second = fox.Items[1];
        Assert.True(BatchAssert.MaxPixelDiff(first, second) > 1e-3, "another seed, another image");
        using var withNegative = members[2].Run(plan);
        using var without = model.Prepare(Ask("waves", 1, 2)).Run(plan);
        Assert.True(BatchAssert.MaxPixelDiff(withNegative.Items, without.Items) > 1e-4, "each member's negative prompt is its own");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OpenSoraClipsOfEveryMemberEqualTheirRunsAlone(bool compressed)
    {
        TinyOpenSoraFolder.Write(_dir, TestData.Golden());
        using var model = new OpenSoraFamily().Load(_dir, ModelLoadSettings.For("cpu") with { MaxItemsPerForward = 2 });  // the batch: 2 + 1
        VideoRequest Ask(string prompt, int count, long seed) =>
            new() { Prompt = prompt, Count = count, Seed = seed, Steps = 3, Frames = 2, Width = 48, Height = 32 };
        var members = new[] { Ask("a red fox running in the snow", 1, 3), Ask("waves", 2, 8) }.Select(model.Prepare).ToArray();
        Assert.Equal(members[0].BatchKey, members[1].BatchKey);
        Assert.NotEqual(members[0].BatchKey, model.Prepare(Ask("waves", 1, 8) with { Frames = 3 }).BatchKey);
        Assert.NotEqual(members[0].BatchKey, model.Prepare(Ask("waves", 1, 8) with { Fps = 4 }).BatchKey);
        Assert.True(members[0].ItemBytes > model.Prepare(Ask("waves", 1, 8) with { Frames = 1 }).ItemBytes, "frames cost memory");
        var plan = compressed ? BatchAssert.MixedPlan(members[0], 2) : null;
        var (diff, same, items) = BatchAssert.SameAsAlone(members, plan, output);
        Assert.Equal(3, items);
        output.WriteLine($"opensora (plan: {compressed}): max pixel diff {diff:E2}, GIF bytes equal {same}/{items}");
    }
}
