using FastAttn.Cluster.Hosting;
using FastAttn.Cluster.Options;
using FastAttn.Cluster.Security;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Serialization;
using StackExchange.Redis;

namespace FastAttn.Cluster.Client;

/// <summary>Registers the plugin's faces over a local engine or over a FastAttn cluster, as configuration says.</summary>
public static class FastAttnClientExtensions
{
    /// <summary>
    /// Adds FastAttn as configured: with <c>FastAttn:Cluster:Clustering</c> unset or <c>none</c>, the local engine
    /// (<c>AddFastAttn</c>); with <c>localhost</c> or <c>redis</c>, <see cref="AddFastAttnClusterClient"/>. The faces are the
    /// same either way, and <c>AddFastAttn</c> may be called before or after it.
    /// </summary>
    public static IHostApplicationBuilder AddFastAttnEngine(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var cluster = FastAttnClusterOptions.From(builder.Configuration);
        if (cluster.Mode == ClusteringMode.None) builder.Services.AddFastAttn(builder.Configuration);
        else builder.AddFastAttnClusterClient();
        return builder;
    }

    /// <summary>
    /// Connects this app to a FastAttn cluster (<c>FastAttn:Cluster</c>: clustering, Redis, ids, the shared result store)
    /// and registers <see cref="IFastAttnCluster"/> (jobs by id) and <see cref="IFastAttnEngine"/> over it, with the
    /// plugin's faces (ITextToImageService, the kernel functions; add IImageGenerator with <c>AddFastAttnImageGenerator</c>).
    /// </summary>
    public static IHostApplicationBuilder AddFastAttnClusterClient(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var cluster = FastAttnClusterOptions.From(builder.Configuration);
        builder.Services.AddOptions<FastAttnClusterOptions>().Bind(builder.Configuration.GetSection(FastAttnClusterOptions.SectionName));
        builder.UseOrleansClient(client =>
        {
            switch (cluster.Mode)
            {
                case ClusteringMode.Localhost:
                    client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
                    break;
                case ClusteringMode.Redis:
                    client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(cluster.Redis));
                    client.Configure<ClusterOptions>(o => { o.ClusterId = cluster.ClusterId; o.ServiceId = cluster.ServiceId; });
                    break;
                default:
                    throw new InvalidOperationException("FastAttn:Cluster:Clustering is 'none': a cluster client needs 'localhost' or 'redis'.");
            }
            if (cluster.Tls.Enabled) client.UseFastAttnTls(cluster.Tls);
            client.Services.AddSerializer(s => s.AddFastAttnContracts());
        });
        builder.Services.AddFastAttnClusterServices();
        builder.Services.AddFastAttn(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Registers <see cref="IFastAttnCluster"/> and the cluster-backed <see cref="IFastAttnEngine"/> over an
    /// <see cref="IClusterClient"/> registered elsewhere (a co-hosted silo, a TestCluster), and ends the application's
    /// FastAttn pipeline in it (<see cref="FastAttnBuilder.UseEngine"/>), whether <c>AddFastAttn</c> is called before or after.
    /// </summary>
    public static IServiceCollection AddFastAttnClusterServices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<FastAttnClusterOptions>();
        services.AddSingleton<ResultStore>();
        services.AddSingleton<IFastAttnCluster, FastAttnClusterClient>();
        services.AddSingleton<ClusterFastAttnEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterFastAttnEngine>());
        services.AddFastAttn().UseEngine(sp => sp.GetRequiredService<ClusterFastAttnEngine>());
        return services;
    }
}
