using System.CommandLine;
using System.Diagnostics;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Imaging;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Runtime;
using FastAttn.Engine.Sampling;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn generate</c>: class-conditional images from a DiT checkpoint.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "DiT weights: .pt, .safetensors, or a diffusers model/pipeline folder.", Required = true };
        var vae = new Option<string?>("--vae") { Description = "diffusers VAE folder (default: a 'vae' folder beside the model)." };
        var classes = new Option<string[]>("--class", "-c") { Description = "Class id or name (repeatable), e.g. 207 or \"golden retriever\".", Required = true, AllowMultipleArgumentsPerToken = true };
        var count = new Option<int>("--count", "-n") { Description = "Images per class.", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 50 };
        var scheduler = new Option<string>("--scheduler") { Description = $"Sampler: {string.Join(", ", SchedulerRegistry.Names)}.", DefaultValueFactory = _ => "ddim" };
        var cfg = new Option<double>("--cfg") { Description = "Classifier-free guidance scale (1 = off).", DefaultValueFactory = _ => 4.0 };
        var guided = new Option<string>("--guidance-channels") { Description = "reference (first 3 latent channels, as the DiT repo) or all (as diffusers).", DefaultValueFactory = _ => "reference" };
        var seed = new Option<long>("--seed") { Description = "Seed of the first image; image i uses seed + i.", DefaultValueFactory = _ => 0 };
        var size = new Option<int?>("--size") { Description = "Image side in pixels (default: the model's trained size)." };
        var output = new Option<string>("--out", "-o") { Description = "Output PNG (several images: name-0.png, name-1.png, …).", DefaultValueFactory = _ => "out.png" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var heads = new Option<int?>("--heads") { Description = "Attention heads, when they cannot be inferred from the checkpoint." };
        var command = new Command("generate", "Generate class-conditional images with a DiT.")
        {
            model, vae, classes, count, steps, scheduler, cfg, guided, seed, size, output, device, heads,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dev = DeviceSelector.Resolve(DeviceSelector.Parse(parse.GetValue(device)!));
            var schedulerFactory = SchedulerRegistry.Get(parse.GetValue(scheduler)!);
            var guidance = parse.GetValue(guided)!.Trim().ToLowerInvariant() switch
            {
                "reference" or "ref" => GuidedChannels.ReferenceFirstThree,
                "all" => GuidedChannels.AllLatent,
                var other => throw new NotSupportedException($"Unknown guidance channels '{other}'. Allowed: reference, all."),
            };
            var load = Stopwatch.StartNew();
            using var loaded = DiTModelFolder.Load(parse.GetValue(model)!, parse.GetValue(vae),
                new DiTLoadOptions { NumHeads = parse.GetValue(heads), Device = dev, DType = DeviceSelector.DefaultDType(dev) });
            load.Stop();
            var labels = parse.GetValue(classes)!.SelectMany(c => Enumerable.Repeat(loaded.Labels.Resolve(c), parse.GetValue(count))).ToArray();
            int factor = DecoderFactor(loaded);
            int? latentSize = parse.GetValue(size) is int px ? LatentSize(px, factor) : null;
            var request = new DiTGenerationRequest
            {
                ClassLabels = labels,
                Seeds = [parse.GetValue(seed)],
                Steps = parse.GetValue(steps),
                Scheduler = schedulerFactory,
                GuidanceScale = parse.GetValue(cfg),
                GuidedChannels = guidance,
                Size = latentSize,
            };
            var result = await ConsoleProgress.RunAsync($"{labels.Length} image(s), {request.Steps} {schedulerFactory.Name} steps",
                request.Steps, progress => loaded.Pipeline.Generate(request, progress, cancellationToken), cancellationToken);
            using (result)
            {
                var paths = OutputPaths(parse.GetValue(output)!, labels.Length);
                for (int i = 0; i < labels.Length; i++)
                {
                    using var image = result.Images[i];
                    ImageTensorConverter.SavePng(image, paths[i]);
                }
                var table = new Table().AddColumn("Image").AddColumn("Class").AddColumn("Seed").Border(TableBorder.Rounded);
                for (int i = 0; i < labels.Length; i++)
                    table.AddRow(Markup.Escape(Path.GetFullPath(paths[i])), Markup.Escape(ClassText(loaded, labels[i])), result.Seeds[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine($"Loaded in {load.Elapsed.TotalSeconds:F1}s, generated in {result.Elapsed.TotalSeconds:F1}s on {dev.type}; attention: full (uncompressed).");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string ClassText(LoadedDiT loaded, int id)
    {
        var name = loaded.Labels.NameOf(id);
        return name == id.ToString(System.Globalization.CultureInfo.InvariantCulture) ? name : $"{id} {name}";
    }

    private static int DecoderFactor(LoadedDiT loaded) =>
        loaded.Pipeline.Decoder is FastAttn.Engine.Models.Vae.AutoencoderKLDecoder vae ? vae.Config.DownscaleFactor : 1;

    private static int LatentSize(int pixels, int factor)
    {
        if (pixels <= 0 || pixels % factor != 0) throw new ArgumentException($"Size {pixels} must be a positive multiple of the VAE factor {factor}.");
        return pixels / factor;
    }

    internal static string[] OutputPaths(string output, int count)
    {
        if (count == 1) return [output];
        var dir = Path.GetDirectoryName(output) ?? "";
        var name = Path.GetFileNameWithoutExtension(output);
        var ext = Path.GetExtension(output);
        return Enumerable.Range(0, count).Select(i => Path.Combine(dir, $"{name}-{i}{(ext.Length == 0 ? ".png" : ext)}")).ToArray();
    }
}
