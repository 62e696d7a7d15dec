namespace FastAttn.Engine.Checkpoints;

/// <summary>The layouts a DiT checkpoint can come in.</summary>
public enum DiTCheckpointFormat
{
    /// <summary>The reference state dict saved with torch.save (DiT-XL-2-256x256.pt).</summary>
    ReferencePt,

    /// <summary>The reference keys in a safetensors file.</summary>
    ReferenceSafetensors,

    /// <summary>diffusers' transformer folder (config.json + diffusion_pytorch_model.safetensors).</summary>
    Diffusers,
}
