using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Families.PixArt;

/// <summary>PixArt(-Sigma) text-to-image: a diffusers PixArt pipeline folder (transformer, T5 text encoder and tokenizer, VAE, scheduler).</summary>
public sealed class PixArtFamily : IModelFamily
{
    /// <inheritdoc />
    public string Name => "pixart";

    /// <inheritdoc />
    public string Expects => "a diffusers PixArt pipeline folder (model_index.json or transformer/config.json naming a PixArt class)";

    /// <inheritdoc />
    public bool CanLoad(string path) => PixArtPipelineFolder.IsPixArtFolder(path);

    /// <inheritdoc />
    public IGenerativeModel Load(string path, ModelLoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var pipeline = PixArtPipelineFolder.Load(path, settings.Device, settings.DType, settings.EncoderDType, settings.Loggers);
        try
        {
            return new PixArtGenerativeModel(path, pipeline, settings);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }
}
