using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Families.OpenSora;

/// <summary>Open-Sora v1.1 text-to-video: a folder with transformer/ (STDiT2), text_encoder/ and tokenizer/ (T5) and vae/.</summary>
public sealed class OpenSoraFamily : IModelFamily
{
    /// <inheritdoc />
    public string Name => "opensora";

    /// <inheritdoc />
    public string Expects => "an Open-Sora v1.1 folder (transformer/ with STDiT2 weights, text_encoder/, tokenizer/, vae/)";

    /// <inheritdoc />
    public bool CanLoad(string path) => OpenSoraPipelineFolder.IsOpenSoraFolder(path);

    /// <inheritdoc />
    public IGenerativeModel Load(string path, ModelLoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var pipeline = OpenSoraPipelineFolder.Load(path, settings.Device, settings.DType, settings.EncoderDType, settings.Loggers);
        try
        {
            return new OpenSoraGenerativeModel(path, pipeline, settings);
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }
}
