namespace FastAttn.Plugin.Hosting;

/// <summary>A configured model could not be loaded (missing file, wrong checkpoint); other models keep being served.</summary>
public sealed class FastAttnModelLoadException : InvalidOperationException
{
    /// <summary>Creates the exception for model <paramref name="model"/>.</summary>
    public FastAttnModelLoadException(string model, string path, Exception inner)
        : base($"The FastAttn model '{model}' could not be loaded from '{path}': {inner?.Message}", inner)
    {
        Model = model;
        ModelPath = path;
    }

    /// <summary>The model's name.</summary>
    public string Model { get; }

    /// <summary>Where it was loaded from.</summary>
    public string ModelPath { get; }
}
