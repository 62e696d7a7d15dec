using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.Vae;

/// <summary>A decoder level: resnets, then (except at the last level) nearest ×2 upsampling and a 3×3 conv.</summary>
public sealed class UpDecoderBlock2D : Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Upsample> upsamplers;

    /// <summary>Creates the level.</summary>
    public UpDecoderBlock2D(int inChannels, int outChannels, int layers, int groups, bool addUpsample) : base(nameof(UpDecoderBlock2D))
    {
        resnets = new ModuleList<ResnetBlock2D>(Enumerable.Range(0, layers)
            .Select(j => new ResnetBlock2D(j == 0 ? inChannels : outChannels, outChannels, groups)).ToArray());
        upsamplers = addUpsample ? new ModuleList<Upsample>(new Upsample(outChannels)) : new ModuleList<Upsample>();
        RegisterComponents();
    }

    /// <summary>(B, C_in, H, W) → (B, C_out, 2H, 2W) (or H, W at the last level).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        foreach (var r in resnets) x = r.forward(x);
        foreach (var u in upsamplers) x = u.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Nearest-neighbour ×2 then conv 3×3 (diffusers Upsample2D with use_conv).</summary>
    public sealed class Upsample : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;

        /// <summary>Creates the upsampler.</summary>
        public Upsample(int channels) : base(nameof(Upsample))
        {
            conv = Conv2d(channels, channels, 3, padding: 1);
            RegisterComponents();
        }

        /// <summary>(B, C, H, W) → (B, C, 2H, 2W).</summary>
        public override Tensor forward(Tensor x)
        {
            using var up = functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
            return conv.forward(up);
        }
    }
}
