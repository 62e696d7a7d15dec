using System.Net;

namespace FastAttn.Server.Security;

/// <summary>
/// Refuses to serve on an address other machines can reach unless API keys are configured: checked on the configured
/// URLs before the server starts, and on the bound addresses after (<see cref="InsecureListenAddressException"/>).
/// </summary>
public static class ListenAddressGuard
{
    /// <summary>Throws when a URL of <paramref name="urls"/> is not loopback and <paramref name="hasKeys"/> is false.</summary>
    public static void Check(IEnumerable<string> urls, bool hasKeys)
    {
        ArgumentNullException.ThrowIfNull(urls);
        if (hasKeys) return;
        var open = urls.Where(u => !string.IsNullOrWhiteSpace(u) && !IsLoopback(u)).ToArray();
        if (open.Length > 0) throw new InsecureListenAddressException(open);
    }

    /// <summary>Whether <paramref name="url"/> (e.g. <c>http://127.0.0.1:5080</c>, <c>http://*:80</c>) listens on loopback only.</summary>
    public static bool IsLoopback(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var host = rest.Split('/')[0];
        if (host.StartsWith('['))
            host = host[1..host.IndexOf(']', StringComparison.Ordinal)];
        else if (host.LastIndexOf(':') is int colon and > 0) host = host[..colon];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }
}

/// <summary>The server was asked to listen on a non-loopback address without API keys.</summary>
public sealed class InsecureListenAddressException(IReadOnlyList<string> urls) : InvalidOperationException(
    $"Refusing to listen on {string.Join(", ", urls)} without API keys: anyone on the network could use this server. Configure "
    + "FastAttn:Server:ApiKeys (e.g. FastAttn__Server__ApiKeys__0=...), or listen on loopback (http://127.0.0.1:5080).")
{
    /// <summary>The addresses refused.</summary>
    public IReadOnlyList<string> Urls { get; } = urls;
}
