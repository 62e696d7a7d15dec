using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Models.PixArt;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Runtime;
using TorchSharp;

namespace FastAttn.Cli.Commands;

/// <summary>What the benchmarks build when they time shapes rather than a trained model.</summary>
internal static class RandomWeights
{
    /// <summary>A seeded random-weight DiT with its modulation and final layer scaled down so activations stay tame.</summary>
    public static DiTModel DiT(DiTConfig config, torch.Device? device = null)
    {
        torch.manual_seed(4);
        var model = new DiTModel(config);
        using (torch.no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.Contains("adaLN_modulation", StringComparison.Ordinal) || name.Contains("final_layer", StringComparison.Ordinal)) p.mul_(0.2);
        model.eval();
        return device is null || device.type == DeviceType.CPU ? model : model.to(DeviceSelector.DefaultDType(device)).to(device);
    }

    /// <summary>A seeded random-weight PixArt transformer, its modulation and output scaled down like <see cref="DiT"/>'s.</summary>
    public static PixArtTransformer PixArt(PixArtConfig config, torch.Device? device = null)
    {
        torch.manual_seed(4);
        var model = new PixArtTransformer(config);
        using (torch.no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("adaln_single", StringComparison.Ordinal) || name.Contains("scale_shift_table", StringComparison.Ordinal)
                    || name.StartsWith("proj_out", StringComparison.Ordinal)) p.mul_(0.2);
        model.eval();
        return device is null || device.type == DeviceType.CPU ? model : model.to(DeviceSelector.DefaultDType(device)).to(device);
    }

    /// <summary>A seeded random-weight STDiT2, its modulation and final layer scaled down like <see cref="DiT"/>'s.</summary>
    public static STDiT2Transformer STDiT2(STDiT2Config config, torch.Device? device = null)
    {
        torch.manual_seed(4);
        var model = new STDiT2Transformer(config);
        using (torch.no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("t_block", StringComparison.Ordinal) || name.StartsWith("final_layer", StringComparison.Ordinal) || name.Contains("scale_shift_table", StringComparison.Ordinal))
                    p.mul_(0.2);
        model.eval();
        return device is null || device.type == DeviceType.CPU ? model : model.to(DeviceSelector.DefaultDType(device)).to(device);
    }

    /// <summary>Seeded random caption features standing in for a text encoder: <paramref name="kept"/> of <paramref name="tokens"/> tokens unmasked.</summary>
    public static RandomCaptions Captions(int rows, int tokens, int kept, int channels, long seed)
    {
        using var g = new torch.Generator(unchecked((ulong)seed));
        var features = torch.randn([rows, tokens, channels], generator: g).mul_(0.1);
        var mask = torch.zeros(rows, tokens, torch.ScalarType.Int64);
        using (var keptTokens = mask.narrow(1, 0, kept)) keptTokens.fill_(1);
        return new RandomCaptions(new CaptionEmbeddings(features, mask));
    }

    /// <summary>Random caption embeddings that own their tensors.</summary>
    public sealed record RandomCaptions(CaptionEmbeddings Embeddings) : IDisposable
    {
        public void Dispose()
        {
            Embeddings.Features.Dispose();
            Embeddings.Mask.Dispose();
        }
    }
}
