namespace FastAttn.Plugin;
/// <summary>Marker for the FastAttn plugin assembly (the Semantic Kernel and Microsoft.Extensions.AI faces come with the plugin issue).</summary>
public static class FastAttnPluginInfo
{
    /// <summary>The plugin package name.</summary>
    public const string Name = "FastAttn.Plugin";
}
