using System.Diagnostics;
using System.Text.Json;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Imaging;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Training;

/// <summary>
/// Trains a class-conditional DiT with the reference diffusion objective (ε-prediction MSE at uniformly drawn timesteps
/// of the linear 1000-step schedule), AdamW, label dropout and EMA weights. Resumable: a checkpoint folder holds the
/// model, EMA, optimizer state and step, and every step's randomness derives from (seed, step).
/// Learned-sigma models need the hybrid variational loss, which is not implemented: train with LearnSigma = false.
/// </summary>
public sealed class DiffusionTrainer : IDisposable
{
    private readonly double[] _alphasCumprod;
    private readonly OptimizerHelper _optimizer;
    private readonly ILogger _logger;

    /// <summary>Starts a new run (reference initialisation) for <paramref name="config"/>.</summary>
    public DiffusionTrainer(DiTConfig config, TrainingOptions options, ILogger<DiffusionTrainer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.LearnSigma)
            throw new NotSupportedException(
                "Training a learned-sigma DiT needs the hybrid variational loss, which is not implemented; train with learn_sigma = false.");
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _alphasCumprod = options.Schedule.AlphasCumprod();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Model = new DiTModel(config);
        DiTInitialization.Apply(Model, options.Seed);
        Ema = new DiTModel(config);
        CopyInto(Ema, Model);
        Ema.eval();
        _optimizer = optim.AdamW(Model.parameters(), options.LearningRate, 0.9, 0.999, 1e-8, options.WeightDecay, false, false);
    }

    /// <summary>The hyper-parameters.</summary>
    public TrainingOptions Options { get; private set; }

    /// <summary>The trained model.</summary>
    public DiTModel Model { get; }

    /// <summary>The exponential moving average of <see cref="Model"/> (the weights to ship).</summary>
    public DiTModel Ema { get; }

    /// <summary>Optimizer steps done.</summary>
    public int Step { get; private set; }

    /// <summary>
    /// Trains on (N, C, H, W) images in [−1, 1] with (N) labels until <see cref="TrainingOptions.Steps"/>
    /// (or <see cref="TrainingOptions.StopAt"/>).
    /// </summary>
    /// <returns>The mean loss of the last 100 steps.</returns>
    public double Train(Tensor images, Tensor labels, string? checkpointDir = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        Model.train();
        var stopwatch = Stopwatch.StartNew();
        var recent = new Queue<double>();
        int end = Math.Min(Options.Steps, Options.StopAt ?? Options.Steps);
        while (Step < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double loss = TrainStep(images, labels);
            recent.Enqueue(loss);
            if (recent.Count > 100) recent.Dequeue();
            if (Step % 50 == 0 || Step == Options.Steps)
                progress?.Report(new TrainingProgress(Step, Options.Steps, recent.Average(), stopwatch.Elapsed));
            if (checkpointDir is not null && Options.CheckpointEvery > 0 && Step % Options.CheckpointEvery == 0) SaveCheckpoint(checkpointDir);
        }
        if (checkpointDir is not null) SaveCheckpoint(checkpointDir);
        _logger.LogInformation("Trained to step {Step} in {Seconds:F0}s, loss {Loss:F4}", Step, stopwatch.Elapsed.TotalSeconds,
            recent.DefaultIfEmpty(0).Average());
        return recent.DefaultIfEmpty(0).Average();
    }

    /// <summary>One optimizer step; returns its loss.</summary>
    public double TrainStep(Tensor images, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var g = new torch.Generator(unchecked((ulong)(Options.Seed * 1_000_003 + Step)));
        long n = images.shape[0];
        var index = randint(0, n, [Options.BatchSize], ScalarType.Int64, generator: g);
        var x0 = images.index_select(0, index);                                               // (B, C, H, W)
        var y = Model.LabelEmbedder.DropLabels(labels.index_select(0, index), Options.LabelDropout, g);
        var t = randint(0, _alphasCumprod.Length, [Options.BatchSize], ScalarType.Int64, generator: g);
        var noise = randn(x0.shape, generator: g);
        var abar = tensor(_alphasCumprod).index_select(0, t).to(ScalarType.Float32).view(-1, 1, 1, 1);
        var xt = (abar.sqrt() * x0).Plus(Minus(1, abar).sqrt() * noise);                               // q(x_t | x_0)
        var predicted = Model.forward(xt, t, y);
        var loss = nn.functional.mse_loss(predicted, noise);
        double lr = LearningRateAt(Step);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
        _optimizer.zero_grad();
        loss.backward();
        _optimizer.step();
        UpdateEma();
        Step++;
        return loss.item<float>();
    }

    /// <summary>The learning rate of step <paramref name="step"/>: linear warm-up, then constant or a half-cosine decay.</summary>
    public double LearningRateAt(int step)
    {
        if (Options.WarmupSteps > 0 && step < Options.WarmupSteps) return Options.LearningRate * (step + 1.0) / Options.WarmupSteps;
        if (Options.MinLearningRate is not double min) return Options.LearningRate;
        double span = Math.Max(1, Options.Steps - Options.WarmupSteps);
        double progress = Math.Clamp((step - Options.WarmupSteps) / span, 0, 1);
        return min + 0.5 * (Options.LearningRate - min) * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>
    /// Starts this (new) run from trained weights instead of the reference initialisation: both the model and its EMA
    /// take the weights of <paramref name="weightsPath"/> (a safetensors file with this run's config); the optimizer
    /// starts fresh. Used to continue training from shipped EMA weights whose optimizer state was not kept.
    /// </summary>
    public void InitializeFrom(string weightsPath)
    {
        if (Step != 0) throw new InvalidOperationException("Weights can only be loaded before the first step of a run.");
        LoadWeights(Model, weightsPath);
        LoadWeights(Ema, weightsPath);
    }

    private void UpdateEma()
    {
        using var noGrad = no_grad();
        double decay = Math.Min(Options.EmaDecay, (1.0 + Step) / (10.0 + Step));              // warm-up so early EMA is not stuck at init
        foreach (var (e, p) in Ema.parameters().Zip(Model.parameters()))
            e.TimesInPlace(decay).PlusInPlace(p, alpha: 1 - decay);
    }

    /// <summary>Writes model, EMA, optimizer state and step into <paramref name="dir"/> (each file atomically).</summary>
    public void SaveCheckpoint(string dir)
    {
        Directory.CreateDirectory(dir);
        SaveWeights(Model, Path.Combine(dir, "model.safetensors"));
        SaveWeights(Ema, Path.Combine(dir, "ema.safetensors"));
        var tmp = Path.Combine(dir, $".optimizer.{Guid.NewGuid():N}.tmp");
        _optimizer.save_state_dict(tmp);
        File.Move(tmp, Path.Combine(dir, "optimizer.bin"), overwrite: true);
        AtomicFile.WriteAllText(Path.Combine(dir, "state.json"),
            JsonSerializer.Serialize(new
            {
                step = Step, schedule = Options.Schedule.Name, options = Options with { Schedule = NoiseSchedule.Linear }
            }));
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), DiTConfigJson.ToReferenceJson(Model.Config));
        if (!File.Exists(Path.Combine(dir, SamplingDefaults.FileName)))
            AtomicFile.WriteAllText(Path.Combine(dir, SamplingDefaults.FileName),
                new SamplingDefaults { Schedule = Options.Schedule, ClipSample = true }.ToJson());
    }

    /// <summary>
    /// Resumes a run from a checkpoint folder written by <see cref="SaveCheckpoint"/>, with (possibly more) <paramref name="options"/>.
    /// </summary>
    public static DiffusionTrainer Resume(string dir, TrainingOptions options, ILogger<DiffusionTrainer>? logger = null)
    {
        var config = DiTConfigJson.ParseReference(File.ReadAllText(Path.Combine(dir, "config.json")), dir);
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "state.json")));
        var trained = state.RootElement.TryGetProperty("schedule", out var s) ? NoiseSchedule.FromName(s.GetString()!) : NoiseSchedule.Linear;
        if (trained != options.Schedule)
            throw new InvalidOperationException($"The checkpoint in '{dir}' was trained with the {trained.Name} noise schedule; " +
                $"resume it with that schedule, not {options.Schedule.Name}.");
        var trainer = new DiffusionTrainer(config, options, logger);
        LoadWeights(trainer.Model, Path.Combine(dir, "model.safetensors"));
        LoadWeights(trainer.Ema, Path.Combine(dir, "ema.safetensors"));
        trainer._optimizer.load_state_dict(Path.Combine(dir, "optimizer.bin"));
        trainer.Step = state.RootElement.GetProperty("step").GetInt32();
        return trainer;
    }

    /// <summary>
    /// Saves <paramref name="model"/>'s weights (reference keys) as safetensors with its config in the metadata-free file plus config.json beside.
    /// </summary>
    public static void SaveWeights(DiTModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tmp = path + $".{Guid.NewGuid():N}.tmp";
        TorchSharp.PyBridge.Safetensors.SaveStateDict(tmp, model.state_dict());
        File.Move(tmp, path, overwrite: true);
    }

    private static void LoadWeights(DiTModel model, string path)
    {
        var dict = StateDictReader.Read(path);
        try { StrictStateDictLoader.Load(model, dict, path); }
        finally { foreach (var t in dict.Values) t.Dispose(); }
    }

    private static void CopyInto(DiTModel target, DiTModel source)
    {
        using var noGrad = no_grad();
        foreach (var (t, s) in target.parameters().Zip(source.parameters())) t.copy_(s);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        Model.Dispose();
        Ema.Dispose();
    }
}
