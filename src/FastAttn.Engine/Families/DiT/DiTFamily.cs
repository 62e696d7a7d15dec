using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Families.DiT;

/// <summary>
/// Class-conditional DiTs (DiT-XL/2 and the built-in tiny-mnist): the reference .pt, safetensors with reference keys, a
/// diffusers DiT folder, or a built-in model's name; a latent model takes its VAE from the settings or a 'vae' folder beside it.
/// </summary>
public sealed class DiTFamily : IModelFamily
{
    /// <inheritdoc />
    public string Name => "dit";

    /// <inheritdoc />
    public string Expects =>
        "a class-conditional DiT checkpoint (.pt, .safetensors, a diffusers DiT folder with transformer/config.json) or a built-in model name (" +
        string.Join(", ", BuiltInModels.Names.DefaultIfEmpty(BuiltInModels.Default)) + ")";

    /// <inheritdoc />
    public bool CanLoad(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            if (!File.Exists(path) && !Directory.Exists(path)) return BuiltInModels.TryResolve(path) is not null;
            if (File.Exists(path)) return StateDictReader.Detect(path) != StateDictReader.FileKind.Unknown;
            DiTCheckpoint.Resolve(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CheckpointFormatException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public IGenerativeModel Load(string path, ModelLoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var loaded = DiTModelFolder.Load(path, settings.Vae,
            new DiTLoadOptions { NumHeads = settings.Heads, Device = settings.Device, DType = settings.DType }, settings.Loggers);
        try
        {
            return new DiTGenerativeModel(path, loaded, settings);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }
}
