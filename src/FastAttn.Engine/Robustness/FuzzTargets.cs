using System.Text;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Models.PixArt;
using FastAttn.Engine.Models.TextEncoder;
using FastAttn.Engine.Models.Vae;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Robustness;

/// <summary>
/// The parsers of files this engine reads from outside, as fuzz targets: safetensors, torch.save archives (.pt),
/// plan JSON, model configs (DiT, PixArt, STDiT2, T5, VAE, model_index.json, sampling defaults), diffusers scheduler
/// configs and the T5 SentencePiece model. Each promises a typed refusal (<see cref="CheckpointFormatException"/>,
/// <see cref="PlanFormatException"/>, <see cref="InvalidDataException"/> for the tokenizer) for bad input.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The target names, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["safetensors", "pt", "plan", "config", "scheduler", "tokenizer"];

    /// <summary>The target named <paramref name="name"/>.</summary>
    public static FuzzTarget Get(string name) => name switch
    {
        "safetensors" => new FuzzTarget(name, "model.safetensors",
            [FuzzSeeds.Safetensors(), FuzzTarget.SafetensorsEnvelopeOf(FuzzSeeds.SafetensorsHeaderJson, 32)],
            LoadStateDict, e => e is CheckpointFormatException, FuzzTarget.SafetensorsFile),
        "pt" => new FuzzTarget(name, "model.pt",
            [FuzzSeeds.TorchZip(), [.. FuzzSeeds.PickleEnvelope, .. FuzzSeeds.StateDictPickle()],
                [.. FuzzSeeds.PickleEnvelope, .. FuzzSeeds.OsSystemPickle()]],
            LoadStateDict, e => e is CheckpointFormatException, FuzzTarget.TorchZipFile),
        "plan" => new FuzzTarget(name, "plan.json", PlanSeeds(),
            path => PlanSerializer.Load(path), e => e is PlanFormatException),
        "config" => new FuzzTarget(name, "config.json", [.. FuzzSeeds.ConfigJson.Select(Encoding.UTF8.GetBytes)],
            ParseConfigs, e => e is CheckpointFormatException),
        "scheduler" => new FuzzTarget(name, "scheduler_config.json", [.. FuzzSeeds.SchedulerJson.Select(Encoding.UTF8.GetBytes)],
            ParseScheduler, e => e is CheckpointFormatException),
        "tokenizer" => new FuzzTarget(name, "spiece.model", [FuzzSeeds.SentencePieceModel()],
            path => T5Tokenizer.Load(path).Ids("a cat sat on the mat ▁ </s> \u202e", 16), e => e is InvalidDataException),
        _ => throw new ArgumentException($"Unknown fuzz target '{name}'. Known: {string.Join(", ", Names)}.", nameof(name)),
    };

    private static void LoadStateDict(string path)
    {
        foreach (var t in StateDictReader.Read(path).Values) t.Dispose();
    }

    private static IReadOnlyList<byte[]> PlanSeeds()
    {
        var plans = BuiltInModels.PlansOf(Path.Combine(BuiltInModels.Root, BuiltInModels.Default));
        var files = plans is null ? [] : Directory.EnumerateFiles(plans, "*.json").Order().Take(2).Select(File.ReadAllBytes).ToList();
        return files.Count > 0 ? files : [Encoding.UTF8.GetBytes("""{"format":"fastattn-plan","version":3}""")];
    }

    /// <summary>
    /// Every config parser on one file; each must accept or refuse typed, and what it accepts must be sane. Counts as a
    /// refusal when every parser refused.
    /// </summary>
    private static void ParseConfigs(string path)
    {
        var json = File.ReadAllText(path);
        int accepted = 0;
        CheckpointFormatException? last = null;
        void Try(Action parse)
        {
            try
            {
                parse();
                accepted++;
            }
            catch (CheckpointFormatException e) { last = e; }
        }
        Try(() => Check(DiTConfigJson.ParseReference(json, path)));
        Try(() => Check(DiTConfigJson.ParseDiffusers(path)));
        Try(() =>
        {
            var c = PixArtConfig.ParseDiffusers(json, path);
            Sane(path, c.NumLayers, c.NumHeads, c.HeadDim, c.InChannels, c.OutChannels, c.PatchSize, c.SampleSize, c.CaptionChannels,
                c.CrossAttentionDim);
        });
        Try(() => STDiT2Config.Parse(json, path));
        Try(() =>
        {
            var c = T5Config.Parse(json, path);
            Sane(path, c.VocabSize, c.DModel, c.DKv, c.NumHeads, c.DFf, c.NumLayers, c.RelativeAttentionNumBuckets,
                c.RelativeAttentionMaxDistance);
        });
        Try(() =>
        {
            var c = VaeConfig.FromJson(path);
            Sane(path, [c.LayersPerBlock, c.LatentChannels, c.OutChannels, c.NormNumGroups, .. c.BlockOutChannels, c.BlockOutChannels.Count]);
        });
        Try(() => PixArtPipelineFolder.CheckIndex(path));
        var folder = Path.GetDirectoryName(path)!;
        File.Copy(path, Path.Combine(folder, SamplingDefaults.FileName), overwrite: true);
        Try(() => SamplingDefaults.ReadFrom(folder).CreateScheduler().Create(10));
        if (accepted == 0 && last is not null) throw last;
    }

    private static void Check(DiTConfig c) =>
        Sane("DiT config", c.InputSize, c.PatchSize, c.InChannels, c.HiddenSize, c.Depth, c.NumHeads, c.NumClasses + 1);

    private static void Sane(string source, params int[] values)
    {
        if (values.Any(v => v <= 0))
            throw new FuzzInvariantException($"{source}: a parser accepted a zero or negative size ({string.Join(", ", values)}).");
    }

    private static void ParseScheduler(string path)
    {
        var factory = DiffusersSchedulerConfig.Load(path);
        IDiffusionScheduler scheduler;
        try { scheduler = factory.Create(10); }
        catch (ArgumentOutOfRangeException) { scheduler = factory.Create(1); }    // fewer training steps than 10: a request-time refusal
        (scheduler as IDisposable)?.Dispose();
    }
}
