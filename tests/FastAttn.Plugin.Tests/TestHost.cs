using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Attention.Windows;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>A started generic host with FastAttn, writing into its own temporary folders.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(IHost host, string root)
    {
        Host = host;
        Root = root;
    }

    public IHost Host { get; }

    public string Root { get; }

    public IServiceProvider Services => Host.Services;

    public string Output => Path.Combine(Root, "images");

    public string Plans => Path.Combine(Root, "plans");

    /// <summary>The costs every test engine plans with: window methods cheaper than full attention, no measuring.</summary>
    public static FixedCostModel FixedCosts { get; } = new(new AttentionCosts(1.0, 1.2, 0.5, 0.6, 0.3, 0.05, 0.8,
        new Dictionary<WindowImplementation, double> { [WindowImplementation.BlockBand] = 0.4 }));

    public static async Task<TestHost> StartAsync(Action<FastAttnOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var root = Directory.CreateTempSubdirectory("fastattn-plugin-tests").FullName;
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddFastAttn(o =>
        {
            o.OutputDirectory = Path.Combine(root, "images");
            o.PlanDirectory = Path.Combine(root, "plans");
            o.Device = "cpu";
            configure?.Invoke(o);
        });
        builder.Services.TryAddSingleton<IAttentionCostModel>(FixedCosts);              // no timing in tests
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new TestHost(host, root);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Tests that load models and generate run one class at a time (two CPU cores).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineCollection
{
    public const string Name = "Engine";
}
