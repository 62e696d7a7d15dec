namespace FastAttn.Cluster.Options;

/// <summary>
/// TLS for the cluster's connections (section <c>"FastAttn:Cluster:Tls"</c>): silo-to-silo and client-to-silo, both
/// encrypted and, with <see cref="Mutual"/>, both ends authenticated by certificate. On in the documented production setup
/// (docs/cluster.md); a client or silo without TLS cannot talk to one with it.
/// </summary>
public sealed class FastAttnTlsOptions
{
    /// <summary>Whether connections use TLS (silos and clients of one cluster must agree).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// This host's certificate with its private key: a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>, with
    /// <see cref="CertificatePassword"/>) or a PEM certificate (<c>.pem</c>/<c>.crt</c>, key in <see cref="CertificateKeyPath"/>).
    /// Alternatively <see cref="Thumbprint"/> names one in a certificate store.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PKCS#12 file's password (keep it in a secret store or an environment variable, not in appsettings).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/> (default: the key is in the certificate file).</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>The thumbprint of a certificate in <see cref="StoreName"/>/<see cref="StoreLocation"/> (instead of a file).</summary>
    public string? Thumbprint { get; set; }

    /// <summary>The certificate store searched for <see cref="Thumbprint"/> (default <c>My</c>).</summary>
    public string StoreName { get; set; } = "My";

    /// <summary>The store location searched for <see cref="Thumbprint"/>: <c>CurrentUser</c> (default) or <c>LocalMachine</c>.</summary>
    public string StoreLocation { get; set; } = "CurrentUser";

    /// <summary>
    /// The name the remote end's certificate must carry (TLS target host). Default: this host's certificate's DNS name —
    /// right when every host shares one certificate or one wildcard name.
    /// </summary>
    public string? TargetHost { get; set; }

    /// <summary>
    /// Mutual TLS (default on): silos require a certificate from every client and silo that connects, so only holders of a
    /// trusted certificate can join or call the cluster.
    /// </summary>
    public bool Mutual { get; set; } = true;

    /// <summary>
    /// Remote certificates accepted by thumbprint even when no trusted authority issued them (pinning a self-signed
    /// certificate). Empty: the platform's chain and name validation decides.
    /// </summary>
    public List<string> TrustedThumbprints { get; set; } = [];

    /// <summary>
    /// Accept any remote certificate (encryption without authentication). FOR TESTS AND DEVELOPMENT ONLY: anyone can join
    /// the cluster; a warning is logged at start.
    /// </summary>
    public bool AllowAnyRemoteCertificate { get; set; }
}
