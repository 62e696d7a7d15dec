namespace FastAttn.Engine.Models.OpenSora;

/// <summary>Which of STDiT2's self-attentions a DiTFastAttn plan compresses.</summary>
public enum VideoAttention
{
    /// <summary>Spatial attention over each frame's tokens (the reference's target; the default).</summary>
    Spatial,

    /// <summary>Temporal attention over each location's frames (an option).</summary>
    Temporal,
}
