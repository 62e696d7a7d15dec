using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FastAttn.Cluster.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Connections.Security;

namespace FastAttn.Cluster.Security;

/// <summary>
/// Orleans TLS (<c>Microsoft.Orleans.Connections.Security</c>) from <see cref="FastAttnTlsOptions"/>, for silos
/// (silo-to-silo and gateway connections) and clients. <c>AddFastAttnSilo</c> and <c>AddFastAttnClusterClient</c> call it
/// when <c>FastAttn:Cluster:Tls:Enabled</c> is true; hosts configured in code (a TestCluster) call it themselves.
/// </summary>
public static class ClusterTls
{
    /// <summary>Secures this silo's connections (to other silos and from clients) as <paramref name="tls"/> says.</summary>
    public static ISiloBuilder UseFastAttnTls(this ISiloBuilder silo, FastAttnTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var certificate = LoadCertificate(tls);
        if (tls.AllowAnyRemoteCertificate)
            silo.AddStartupTask((services, _) =>
            {
                services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterTls).FullName!).LogWarning(
                    "FastAttn:Cluster:Tls:AllowAnyRemoteCertificate is on: connections are encrypted but ANY certificate is accepted. " +
                    "For tests and development only.");
                return Task.CompletedTask;
            });
        return silo.UseTls(certificate, o => Configure(o, tls, certificate));
    }

    /// <summary>Secures this client's connections to the cluster's gateways as <paramref name="tls"/> says.</summary>
    public static IClientBuilder UseFastAttnTls(this IClientBuilder client, FastAttnTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(client);
        var certificate = LoadCertificate(tls);
        return client.UseTls(certificate, o => Configure(o, tls, certificate));
    }

    /// <summary>
    /// The certificate <paramref name="tls"/> names (a file or a store thumbprint), with its private key; a missing file,
    /// wrong password or unknown thumbprint is an <see cref="InvalidOperationException"/> naming the setting.
    /// </summary>
    public static X509Certificate2 LoadCertificate(FastAttnTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        X509Certificate2 certificate;
        if (!string.IsNullOrWhiteSpace(tls.CertificatePath)) certificate = FromFile(tls);
        else if (!string.IsNullOrWhiteSpace(tls.Thumbprint)) certificate = FromStore(tls);
        else throw new InvalidOperationException("FastAttn:Cluster:Tls is enabled but names no certificate: set Tls:CertificatePath " +
            "(a .pfx with Tls:CertificatePassword, or a .pem with Tls:CertificateKeyPath) or Tls:Thumbprint.");
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"The TLS certificate {certificate.Subject} has no private key: a host needs its key.");
        return certificate;
    }

    private static X509Certificate2 FromFile(FastAttnTlsOptions tls)
    {
        var path = Path.GetFullPath(tls.CertificatePath!);
        if (!File.Exists(path)) throw new InvalidOperationException($"FastAttn:Cluster:Tls:CertificatePath: no file at {path}.");
        try
        {
            var ext = Path.GetExtension(path).ToLowerInvariant();
            if (ext is ".pem" or ".crt" or ".cer")
                return X509Certificate2.CreateFromPemFile(path, tls.CertificateKeyPath is null ? null : Path.GetFullPath(tls.CertificateKeyPath));
            return X509CertificateLoader.LoadPkcs12FromFile(path, tls.CertificatePassword);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"FastAttn:Cluster:Tls: the certificate {path} could not be read (wrong password " +
                $"or key?): {e.Message}", e);
        }
    }

    private static X509Certificate2 FromStore(FastAttnTlsOptions tls)
    {
        var name = Enum.Parse<StoreName>(tls.StoreName, ignoreCase: true);
        var location = Enum.Parse<StoreLocation>(tls.StoreLocation, ignoreCase: true);
        using var store = new X509Store(name, location);
        store.Open(OpenFlags.ReadOnly);
        var found = store.Certificates.Find(X509FindType.FindByThumbprint, tls.Thumbprint!.Replace(" ", "", StringComparison.Ordinal), false);
        return found.Count > 0 ? found[0]
            : throw new InvalidOperationException($"FastAttn:Cluster:Tls:Thumbprint {tls.Thumbprint} is not in the {location}/{name} store.");
    }

    /// <summary>Fills Orleans' <paramref name="options"/>: the local certificate, mutual authentication and remote validation.</summary>
    private static void Configure(TlsOptions options, FastAttnTlsOptions tls, X509Certificate2 certificate)
    {
        options.LocalCertificate = certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;                 // a silo must prove who it is
        options.ClientCertificateMode = tls.Mutual ? RemoteCertificateMode.RequireCertificate : RemoteCertificateMode.NoCertificate;
        var targetHost = tls.TargetHost ?? certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false);
        options.OnAuthenticateAsClient = (_, ssl) => ssl.TargetHost = targetHost;
        if (tls.AllowAnyRemoteCertificate)
        {
            options.AllowAnyRemoteCertificate();
            return;
        }
        var pinned = tls.TrustedThumbprints.Select(t => t.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        options.RemoteCertificateValidation = (remote, _, errors) =>
            errors == SslPolicyErrors.None || (remote is not null && pinned.Contains(remote.Thumbprint));
    }
}
