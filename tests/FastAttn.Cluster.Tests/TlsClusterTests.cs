using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastAttn.Cluster.Client;
using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Grains;
using FastAttn.Cluster.Hosting;
using FastAttn.Cluster.Options;
using FastAttn.Cluster.Security;
using FastAttn.Cluster.Tests.Support;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Serialization;
using Orleans.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Cluster.Tests;

/// <summary>
/// Two silos and a client talking over mutual TLS with a self-signed certificate this test makes (pinned by thumbprint,
/// as a production cluster with its own certificate would be): a job runs through it; a client without TLS cannot talk
/// to the cluster.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TlsClusterTests(ITestOutputHelper output)
{
    private static string _root = "";

    private static FastAttnTlsOptions Tls { get; set; } = new();

    [Fact]
    public async Task A_cluster_over_mutual_TLS_runs_a_job_and_a_client_without_TLS_cannot_talk_to_it()
    {
        _root = Directory.CreateTempSubdirectory("fastattn-tls").FullName;
        Tls = WriteCertificate(Path.Combine(_root, "cluster.pfx"), "test-password");
        TinyRandomModels.Write(Path.Combine(_root, "models"), "A", seed: 11);
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            await MultiHostCluster.EventuallyAsync(async () =>
                (await cluster.Client.GetGrain<IWorkerRegistryGrain>(0).GetWorkersAsync()).Count == 2, "both workers reporting over TLS");

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton(cluster.Client);
            services.Configure<FastAttnClusterOptions>(o => { o.ResultStore = Path.Combine(_root, "results"); o.PollInterval = TimeSpan.FromMilliseconds(50); });
            services.AddFastAttnClusterServices();
            await using var sp = services.BuildServiceProvider();
            var jobs = sp.GetRequiredService<IFastAttnCluster>();
            await jobs.SubmitAsync(new FastAttnImageRequest { Prompt = "1", Model = "A", Preset = "raw", Steps = 2, Seed = 1 }, "tls-job");
            var done = await jobs.WaitAsync("tls-job").WaitAsync(TimeSpan.FromMinutes(5));       // a hang guard, not a timing
            Assert.Equal(JobStatus.Succeeded, done.Status);
            Png.AssertValid(Path.Combine(_root, "results", "tls-job", done.Output!.Files[0]));

            var gateway = cluster.Primary!.GatewayAddress!.Endpoint;
            var refused = await Record.ExceptionAsync(() => PlainClientCallAsync(cluster.Options, gateway));
            output.WriteLine($"a client without TLS: {refused?.GetType().FullName}: {refused?.Message}");
            Assert.NotNull(refused);
            Assert.True(refused is ConnectionFailedException or SiloUnavailableException, $"{refused!.GetType()}: {refused.Message}");
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A client with the cluster's ids and gateway but no TLS: starts and calls the registry (it must fail).</summary>
    private static async Task PlainClientCallAsync(TestClusterOptions options, IPEndPoint gateway)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));                 // a hang guard
        using var host = new HostBuilder().UseOrleansClient(c =>
        {
            c.UseStaticClustering(gateway);
            c.UseConnectionRetryFilter((_, _) => Task.FromResult(false));                      // report the first refusal, no retries
            c.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
            c.Configure<ConnectionOptions>(o => o.OpenConnectionTimeout = TimeSpan.FromSeconds(5));
            c.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
            c.Services.AddSerializer(s => s.AddFastAttnContracts());
        }).Build();
        await host.StartAsync(cts.Token);
        var client = host.Services.GetRequiredService<IClusterClient>();
        await client.GetGrain<IWorkerRegistryGrain>(0).GetWorkersAsync().WaitAsync(cts.Token);
    }

    /// <summary>Makes a self-signed certificate (ECDSA P-256, server and client auth) as a password-protected PFX; TLS options naming it.</summary>
    private static FastAttnTlsOptions WriteCertificate(string path, string password)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fastattn-cluster", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("fastattn-cluster");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));   // server and client authentication
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return new FastAttnTlsOptions
        {
            Enabled = true, CertificatePath = path, CertificatePassword = password, TrustedThumbprints = [certificate.Thumbprint],
        };
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.UseFastAttnTls(Tls);
            silo.AddMemoryGrainStorage(ClusterStorage.Jobs);
            silo.AddMemoryGrainStorage(ClusterStorage.Plans);
            silo.Services.Configure<FastAttnClusterOptions>(o => { o.ResultStore = Path.Combine(_root, "results"); o.Devices = ["cpu"]; });
            var id = Guid.NewGuid().ToString("N")[..6];
            silo.Services.Configure<FastAttnOptions>(o =>
            {
                o.Device = "cpu";
                o.Models["A"] = new FastAttnModelOptions { Path = Path.Combine(_root, "models", "A") };
                o.PlanDirectory = Path.Combine(_root, "plans-" + id);
                o.OutputDirectory = Path.Combine(_root, "local-" + id);
            });
            silo.AddFastAttnWorkers();
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client)
        {
            client.UseFastAttnTls(Tls);
            client.Services.AddSerializer(s => s.AddFastAttnContracts());
        }
    }
}
