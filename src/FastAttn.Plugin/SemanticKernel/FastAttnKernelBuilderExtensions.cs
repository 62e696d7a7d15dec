using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.TextToImage;

namespace FastAttn.Plugin.SemanticKernel;

/// <summary>Semantic Kernel registration, in the style of SK's connectors.</summary>
public static class FastAttnKernelBuilderExtensions
{
    /// <summary>
    /// Adds the FastAttn engine to the kernel's services and registers an <see cref="ITextToImageService"/> for
    /// <paramref name="model"/> (null: the default), keyed by <paramref name="serviceId"/> when given.
    /// </summary>
    public static IKernelBuilder AddFastAttnTextToImage(this IKernelBuilder builder, string? serviceId = null, string? model = null,
        Action<FastAttnOptions>? configure = null, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddFastAttn(configuration, configure);
        if (serviceId is not null)
            builder.Services.AddKeyedSingleton<ITextToImageService>(serviceId, (sp, _)
                => new FastAttnTextToImageService(sp.GetRequiredService<IFastAttnEngine>(), model));
        else if (model is not null)
            builder.Services.AddSingleton<ITextToImageService>(sp => new FastAttnTextToImageService(sp.GetRequiredService<IFastAttnEngine>(), model));
        return builder;
    }

    /// <summary>Adds the <c>generate_image</c> kernel function (plugin <paramref name="pluginName"/>) backed by the FastAttn engine.</summary>
    public static IKernelBuilder AddFastAttnPlugin(this IKernelBuilder builder, string pluginName = "fastattn",
        Action<FastAttnOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddFastAttn(null, configure);
        builder.Services.AddSingleton(sp => KernelPluginFactory.CreateFromObject(sp.GetRequiredService<FastAttnImagePlugin>(), pluginName,
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        return builder;
    }
}
