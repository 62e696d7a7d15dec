using System.Globalization;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Conditioning;
using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Imaging;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.DiT;

/// <summary>
/// Random-weight class-conditional DiTs: the reference configs (DiT-XL/2 …, latent shapes at a resolution, no VAE),
/// "DiT-tiny" (a 16² latent, width 64, 10 classes: search-cost runs) and "tiny-digits" (32² pixel space, the test model).
/// Sampled with 10 DDIM steps at guidance 4 unless a request says otherwise.
/// </summary>
public sealed class DiTRandomModels : IRandomModelSource
{
    /// <summary>A small latent DiT for search-cost runs: 16² latent, patch 2, width 64, 28 layers, 10 classes.</summary>
    public const string Tiny = "DiT-tiny";

    /// <summary>The test model: a 32² pixel-space (1 channel) DiT, patch 4, width 64, 2 layers, 10 classes.</summary>
    public const string TinyDigits = "tiny-digits";

    /// <inheritdoc />
    public IReadOnlyList<string> Names => [.. DiTConfigs.Names, Tiny, TinyDigits];

    /// <summary>The shape of config <paramref name="name"/> with <paramref name="options"/>' overrides.</summary>
    public static DiTConfig ConfigFor(string name, RandomModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        var config = name.Trim() switch
        {
            var n when n.Equals(Tiny, StringComparison.OrdinalIgnoreCase) => new DiTConfig(16, 2, 4, 64, 28, 2, 10, LearnSigma: true),
            var n when n.Equals(TinyDigits, StringComparison.OrdinalIgnoreCase) => new DiTConfig(32, 4, 1, 64, 2, 4, 10, LearnSigma: false),
            var n => DiTConfigs.Get(n, options.Resolution ?? 512),
        };
        if (options.Width is int width) config = config with { HiddenSize = width, NumHeads = Math.Max(1, width / 32) };
        if (options.LatentSize is int side) config = config with { InputSize = side };
        return config with { Depth = RandomWeights.Depth(options.Depth ?? config.Depth) };
    }

    /// <summary>A seeded random-weight DiT of <paramref name="config"/>, its modulation and final layer scaled down.</summary>
    public static DiTModel Transformer(DiTConfig config, long seed = 4, Device? device = null) =>
        RandomWeights.Build(() => new DiTModel(config),
            name => name.Contains("adaLN_modulation", StringComparison.Ordinal) || name.Contains("final_layer", StringComparison.Ordinal), seed,
                device);

    /// <inheritdoc />
    public RandomModel Create(string name, RandomModelOptions options)
    {
        var config = ConfigFor(name, options);
        var transformer = Transformer(config, options.Seed, options.Device);
        var labels = new ClassLabels(Enumerable.Range(0, config.NumClasses).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
        var source = $"random:{name}";
        var loaded = new LoadedDiT(new DiTPipeline(transformer, null), labels, source, null, new SamplingDefaults(10, "ddim", 4.0), null);
        try
        {
            var model = new DiTGenerativeModel(source, loaded, new ModelLoadSettings { Device = options.Device, CostModel = options.CostModel });
            var full = DiTConfigs.Names.Contains(name.Trim(), StringComparer.OrdinalIgnoreCase) ? DiTConfigs.Get(name, options.Resolution ?? 512) :
                null;
            string at = full is null ? $"{config.InputSize}² latent" : $"{config.InputSize * 8}px";
            string description = $"{name} at {at}: random weights (timing only), depth {config.Depth} of {full?.Depth ?? config.Depth}, " +
                $"width {config.HiddenSize}, {config.NumHeads} heads, {config.NumTokens} tokens; no VAE decode";
            return new RandomModel(model, name, _ => description, "self-attention");
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes config <paramref name="name"/> as a model folder (model.safetensors, config.json, defaults.json) that the
    /// DiT family loads, and returns the folder.
    /// </summary>
    public static string WriteFolder(string name, string folder, RandomModelOptions options, SamplingDefaults? defaults = null)
    {
        var config = ConfigFor(name, options);
        Directory.CreateDirectory(folder);
        using (var model = Transformer(config, options.Seed))
            TorchSharp.PyBridge.Safetensors.SaveStateDict(Path.Combine(folder, "model.safetensors"), model.state_dict());
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), DiTConfigJson.ToReferenceJson(config));
        AtomicFile.WriteAllText(Path.Combine(folder, SamplingDefaults.FileName), (defaults ?? new SamplingDefaults(10, "ddim", 4.0)).ToJson());
        return folder;
    }
}
