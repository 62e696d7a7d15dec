using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Training;

/// <summary>Hyper-parameters of <see cref="DiffusionTrainer"/> (the reference DiT recipe, scaled down).</summary>
public sealed record TrainingOptions
{
    /// <summary>The noise schedule trained on (the sampler must use the same; written to the checkpoint's defaults.json).</summary>
    public NoiseSchedule Schedule { get; init; } = NoiseSchedule.Linear;

    /// <summary>Optimizer steps to reach.</summary>
    public int Steps { get; init; } = 20_000;

    /// <summary>
    /// Stop (with a checkpoint) at this step, before <see cref="Steps"/>; the learning-rate schedule still spans
    /// <see cref="Steps"/>. Null trains to the end.
    /// </summary>
    public int? StopAt { get; init; }

    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>AdamW learning rate (constant, as the reference).</summary>
    public double LearningRate { get; init; } = 3e-4;

    /// <summary>
    /// When set, the learning rate decays from <see cref="LearningRate"/> to this value along a half cosine between the
    /// end of the warm-up and <see cref="Steps"/> (null = constant, as the reference).
    /// </summary>
    public double? MinLearningRate { get; init; }

    /// <summary>Linear learning-rate warm-up over this many steps (0 = constant from the start, as the reference).</summary>
    public int WarmupSteps { get; init; }

    /// <summary>AdamW weight decay (0 in the reference).</summary>
    public double WeightDecay { get; init; }

    /// <summary>EMA decay of the shipped weights (0.9999 in the reference; smaller for short runs).</summary>
    public double EmaDecay { get; init; } = 0.999;

    /// <summary>Probability of replacing a label with the null label (teaches the unconditional model for CFG).</summary>
    public double LabelDropout { get; init; } = 0.1;

    /// <summary>Seed: every step's batch, timesteps and noise come from (seed, step), so resumed runs continue identically.</summary>
    public long Seed { get; init; }

    /// <summary>Write a resumable checkpoint every this many steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; } = 1000;
}
