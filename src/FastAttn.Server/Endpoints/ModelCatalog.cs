using FastAttn.Plugin.Hosting;
using FastAttn.Server.Errors;
using FastAttn.Server.Hosting;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// The models the server offers: the engine's, with OpenAI's image model names (which SDKs and Semantic Kernel's
/// connector send by default) standing for the default model; any other name is a 404.
/// </summary>
public sealed class ModelCatalog(IFastAttnEngine engine, IOptions<FastAttnServerOptions> options)
{
    /// <summary>OpenAI's image model names, answered by the default model.</summary>
    public static IReadOnlyList<string> OpenAINames { get; } = ["dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini"];

    /// <summary>The model requests naming none (or an OpenAI name) use.</summary>
    public string DefaultModel => options.Value.DefaultModel is { Length: > 0 } m ? Resolve(m) : engine.DefaultModel;

    /// <summary>The engine's models.</summary>
    public IReadOnlyList<string> Names => engine.ModelNames;

    /// <summary>The engine's name of <paramref name="requested"/>; throws the 404 for an unknown one.</summary>
    public string Resolve(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested)) return DefaultModel;
        var name = requested.Trim();
        if (OpenAINames.Contains(name, StringComparer.OrdinalIgnoreCase)) return DefaultModel;
        return Names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw ApiException.ModelNotFound(name, Names.Concat(OpenAINames));
    }
}
