namespace FastAttn.Engine.Generation;

/// <summary>What a model generates.</summary>
public enum OutputKind
{
    /// <summary>Still images (PNG).</summary>
    Image,

    /// <summary>Clips (animated GIF and frames).</summary>
    Video,
}

/// <summary>How a model is told what to draw.</summary>
public enum ConditioningKind
{
    /// <summary>A class label, named by the prompt (ImageNet DiT, the digits of tiny-mnist).</summary>
    ClassLabel,

    /// <summary>A text prompt through a text encoder (PixArt, Open-Sora), with an optional negative prompt.</summary>
    Text,
}
