using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.Vae;

/// <summary>The decoder network (diffusers <c>Decoder</c>): conv_in → mid block → up blocks → GroupNorm → SiLU → conv_out.</summary>
public sealed class VaeDecoder : Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly VaeMidBlock mid_block;
    private readonly ModuleList<UpDecoderBlock2D> up_blocks;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;

    /// <summary>Creates the network for <paramref name="config"/>.</summary>
    public VaeDecoder(VaeConfig config) : base(nameof(VaeDecoder))
    {
        var channels = config.BlockOutChannels;
        int top = channels[^1];
        conv_in = Conv2d(config.LatentChannels, top, 3, padding: 1);
        mid_block = new VaeMidBlock(top, config.NormNumGroups, config.MidBlockAttention);
        var reversed = channels.Reverse().ToArray();
        var blocks = new List<UpDecoderBlock2D>();
        int output = reversed[0];
        for (int i = 0; i < reversed.Length; i++)
        {
            int previous = output;
            output = reversed[i];
            blocks.Add(new UpDecoderBlock2D(previous, output, config.LayersPerBlock + 1, config.NormNumGroups, addUpsample: i < reversed.Length - 1));
        }
        up_blocks = new ModuleList<UpDecoderBlock2D>(blocks.ToArray());
        conv_norm_out = GroupNorm(config.NormNumGroups, channels[0], eps: 1e-6);
        conv_out = Conv2d(channels[0], config.OutChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>(B, C_latent, h, w) → (B, C_out, h·f, w·f).</summary>
    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        var x = mid_block.forward(conv_in.forward(z));
        foreach (var block in up_blocks) x = block.forward(x);
        return conv_out.forward(functional.silu(conv_norm_out.forward(x))).MoveToOuterDisposeScope();
    }
}
