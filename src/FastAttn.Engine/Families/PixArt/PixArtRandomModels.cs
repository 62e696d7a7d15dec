using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Models.PixArt;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.PixArt;

/// <summary>
/// Random-weight PixArt-Sigma-XL/2 at 512, 1024 (default) or 2048 px: seeded random caption features (300 tokens, 32
/// kept; the negative prompt 1 kept) stand in for T5; DPM-Solver++ at 50 steps, guidance 4.5 (the paper's Table 4 setting).
/// </summary>
public sealed class PixArtRandomModels : IRandomModelSource
{
    /// <summary>The config's name.</summary>
    public const string SigmaXL2 = "PixArt-Sigma-XL/2";

    private const int CaptionTokens = 300;

    private const string Table4 = "DiTFastAttn Table 4, PixArt-Sigma-XL 1024px, 50-step DPM-Solver, batch 1, A100: " +
        "raw 12.76 s (self-attention 5.30 s, 42%); latency fraction of raw D1 0.98, D2 0.94, D3 0.89, D4 0.87, D5 0.84, D6 0.81; " +
        "attention D1 0.96, D2 0.85, D3 0.76, D4 0.68, D5 0.61, D6 0.54";

    /// <inheritdoc />
    public IReadOnlyList<string> Names => [SigmaXL2];

    /// <summary>A seeded random-weight PixArt transformer of <paramref name="config"/>, its modulation and output scaled down.</summary>
    public static PixArtTransformer Transformer(PixArtConfig config, long seed = 4, Device? device = null) =>
        RandomWeights.Build(() => new PixArtTransformer(config),
            name => name.StartsWith("adaln_single", StringComparison.Ordinal) || name.Contains("scale_shift_table", StringComparison.Ordinal)
                || name.StartsWith("proj_out", StringComparison.Ordinal), seed, device);

    /// <inheritdoc />
    public RandomModel Create(string name, RandomModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int resolution = options.Resolution ?? 1024;
        var full = PixArtConfig.SigmaXL(resolution);
        var config = full with { NumLayers = RandomWeights.Depth(options.Depth ?? full.NumLayers) };
        var transformer = Transformer(config, options.Seed, options.Device);
        var pipeline = new PixArtPipeline(transformer, null, null, null, SchedulerRegistry.Get("dpm"), ownsModels: true);
        try
        {
            var settings = new ModelLoadSettings { Device = options.Device, Steps = 50, Resolutions = [resolution], CostModel = options.CostModel };
            var model = new PixArtGenerativeModel($"random:{name}", pipeline, settings)
            {
                Captions = new StandInCaptions(CaptionTokens, 32, config.CaptionChannels, seed: 1),
            };
            int latent = resolution / 8, tokens = latent / config.PatchSize * (latent / config.PatchSize);
            string description = $"{SigmaXL2} at {resolution}px: random weights (timing only), depth {config.NumLayers} of {full.NumLayers}, " +
                $"width {config.HiddenSize}, {config.NumHeads} heads, {tokens} tokens, cross-attention to {CaptionTokens} caption tokens " +
                "(random embeddings stand in for T5); no VAE decode";
            return new RandomModel(model, SigmaXL2, _ => description, "self-attention", Table4);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }
}
