namespace FastAttn.Engine.Sampling;

/// <summary>The shape of a <see cref="NoiseSchedule"/>'s β curve.</summary>
public enum BetaSchedule
{
    /// <summary>β linear in t (DDPM, DiT, PixArt).</summary>
    Linear,

    /// <summary>The cosine ᾱ of improved DDPM, β capped at 0.999 (diffusers' "squaredcos_cap_v2").</summary>
    SquaredCosCapV2,
}
