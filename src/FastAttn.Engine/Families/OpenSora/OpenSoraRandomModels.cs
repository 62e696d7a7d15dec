using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families.OpenSora;

/// <summary>
/// Random-weight Open-Sora v1.1 STDiT2-XL/2: a 16-frame 240p clip by default ([cond; null caption] pairs, IDDPM, 10
/// steps), seeded random caption features (32 of the model's caption tokens kept) standing in for T5; plans compress the
/// spatial self-attention; nothing is decoded.
/// </summary>
public sealed class OpenSoraRandomModels : IRandomModelSource
{
    /// <summary>The config's name.</summary>
    public const string XL2 = "STDiT2-XL/2";

    private const string Paper = "DiTFastAttn on Open-Sora (16 frames, 240p): 7.6–40.5% computation reduction for its D1–D6 (attention FLOPs); " +
        "the reference code's own runs showed no speedup (its CFG path bypassed the compression)";

    /// <inheritdoc />
    public IReadOnlyList<string> Names => [XL2];

    /// <summary>A seeded random-weight STDiT2 of <paramref name="config"/>, its modulation and final layer scaled down.</summary>
    public static STDiT2Transformer Transformer(STDiT2Config config, long seed = 4, Device? device = null) =>
        RandomWeights.Build(() => new STDiT2Transformer(config),
            name => name.StartsWith("t_block", StringComparison.Ordinal) || name.StartsWith("final_layer", StringComparison.Ordinal)
                || name.Contains("scale_shift_table", StringComparison.Ordinal), seed, device);

    /// <inheritdoc />
    public RandomModel Create(string name, RandomModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var full = STDiT2Config.XL2;
        var config = full with { Depth = RandomWeights.Depth(options.Depth ?? full.Depth) };
        var transformer = Transformer(config, options.Seed, options.Device);
        var pipeline = new OpenSoraPipeline(transformer, null, null, null, ownsModels: true);
        try
        {
            var model = new OpenSoraGenerativeModel($"random:{name}", pipeline, new ModelLoadSettings
                { Device = options.Device, Steps = 10, CostModel = options.CostModel })
            {
                Captions = new StandInCaptions(config.ModelMaxLength, 32, config.CaptionChannels, seed: 1),
            };
            string Describe(PreparedGeneration g)
            {
                int tokens = g.AttentionShape?.Tokens ?? 0, frames = g.Frames ?? 1;
                return $"{XL2} at {g.Height}x{g.Width}, {(g.Request is VideoRequest { Frames: int f } ? f : frames)} frames: " +
                    "random weights (timing only), " +
                    $"depth {config.Depth} of {full.Depth}, width {config.HiddenSize}, {config.NumHeads} heads, {tokens} spatial tokens per frame " +
                    $"({tokens * frames} per clip), cross-attention to {config.ModelMaxLength} caption tokens (random embeddings stand in for T5); " +
                    "no VAE decode";
            }
            return new RandomModel(model, XL2, Describe, "spatial self-attention", Paper);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }
}
