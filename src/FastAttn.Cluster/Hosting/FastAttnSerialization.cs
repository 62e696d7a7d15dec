using FastAttn.Plugin.Hosting;
using Orleans.Serialization;

namespace FastAttn.Cluster.Hosting;

/// <summary>Serialization of the plugin's request records inside cluster messages (JSON; the cluster's own contracts are generated).</summary>
public static class FastAttnSerialization
{
    /// <summary>Lets Orleans carry <see cref="FastAttnImageRequest"/> and <see cref="FastAttnVideoRequest"/>; silos and clients both call
    /// it.</summary>
    public static ISerializerBuilder AddFastAttnContracts(this ISerializerBuilder serializer) =>
        serializer.AddJsonSerializer(isSupported: type => type == typeof(FastAttnImageRequest) || type == typeof(FastAttnVideoRequest));
}
