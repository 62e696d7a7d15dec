using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Evaluation;

/// <summary>
/// A small CNN for 32×32 grayscale digits in [−1, 1]: three conv layers, then a 128-wide penultimate layer (the features
/// FID is computed in) and the 10-way output. Judges generated digits (accuracy against the requested class) and gives
/// FID features.
/// </summary>
public sealed class DigitClassifier : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <summary>Width of the feature layer.</summary>
    public const int FeatureSize = 128;

    /// <summary>Creates a randomly initialised classifier.</summary>
    public DigitClassifier() : base(nameof(DigitClassifier))
    {
        conv1 = Conv2d(1, 32, 3, padding: 1);
        conv2 = Conv2d(32, 64, 3, padding: 1);
        conv3 = Conv2d(64, 128, 3, padding: 1);
        fc1 = Linear(128 * 4 * 4, FeatureSize);
        fc2 = Linear(FeatureSize, 10);
        RegisterComponents();
    }

    /// <summary>(N, 1, 32, 32) → (N, 128) penultimate features.</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.max_pool2d(functional.relu(conv1.forward(x)), 2);                 // (N, 32, 16, 16)
        h = functional.max_pool2d(functional.relu(conv2.forward(h)), 2);                     // (N, 64, 8, 8)
        h = functional.max_pool2d(functional.relu(conv3.forward(h)), 2);                     // (N, 128, 4, 4)
        return functional.relu(fc1.forward(h.flatten(1))).MoveToOuterDisposeScope();         // (N, 128)
    }

    /// <summary>(N, 1, 32, 32) → (N, 10) logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var features = Features(x);
        return fc2.forward(features);
    }

    /// <summary>Predicted class of each image.</summary>
    public Tensor Predict(Tensor x)
    {
        using var noGrad = no_grad();
        using var logits = forward(x);
        return logits.argmax(1);
    }

    /// <summary>Trains on (images, labels) with Adam; deterministic for a seed. Returns the last epoch's mean loss.</summary>
    public double Fit(Tensor images, Tensor labels, int epochs = 4, int batchSize = 128, double learningRate = 1e-3, long seed = 0,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        manual_seed(seed);
        train();
        using var optimizer = optim.Adam(parameters(), learningRate);
        using var g = new torch.Generator(unchecked((ulong)seed));
        double epochLoss = 0;
        long n = images.shape[0];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var order = randperm(n, generator: g);
            double total = 0;
            int batches = 0;
            for (long s = 0; s < n; s += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var idx = order.narrow(0, s, Math.Min(batchSize, n - s));
                var x = images.index_select(0, idx);
                // light augmentation: random shifts by up to 2 pixels (the digits sit in a 2-pixel margin)
                var shifts = randint(-2, 3, [2], ScalarType.Int64, generator: g).data<long>().ToArray();
                x = x.roll([shifts[0], shifts[1]], [2, 3]);
                var loss = functional.cross_entropy(forward(x), labels.index_select(0, idx));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                total += loss.item<float>();
                batches++;
            }
            epochLoss = total / batches;
            progress?.Report($"classifier epoch {epoch + 1}/{epochs}: loss {epochLoss:F4}");
        }
        eval();
        return epochLoss;
    }

    /// <summary>Fraction of <paramref name="images"/> classified as <paramref name="labels"/>.</summary>
    public double Accuracy(Tensor images, Tensor labels, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        long correct = 0;
        for (long s = 0; s < images.shape[0]; s += batchSize)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(batchSize, images.shape[0] - s);
            correct += Predict(images.narrow(0, s, count)).eq(labels.narrow(0, s, count)).sum().item<long>();
        }
        return correct / (double)images.shape[0];
    }
}
