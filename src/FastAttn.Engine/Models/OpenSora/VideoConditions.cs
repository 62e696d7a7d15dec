namespace FastAttn.Engine.Models.OpenSora;

/// <summary>
/// The micro-conditions STDiT2 is told about a clip (the same for the whole batch, as Open-Sora's inference passes them):
/// pixel height and width (before the VAE, e.g. 240 × 426), the frame count, frames per second of the source (24) and
/// the aspect ratio height / width.
/// </summary>
/// <param name="Height">Pixel height.</param>
/// <param name="Width">Pixel width.</param>
/// <param name="Frames">Frames.</param>
/// <param name="Fps">Frames per second the model is conditioned on (Open-Sora v1.1: 24; 120 for single images).</param>
public sealed record VideoConditions(double Height, double Width, double Frames, double Fps)
{
    /// <summary>Height / width.</summary>
    public double AspectRatio => Height / Width;
}
