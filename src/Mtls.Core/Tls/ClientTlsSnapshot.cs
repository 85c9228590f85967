using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mtls.Authorization;
using Mtls.Sources;
using Mtls.X509;

namespace Mtls.Tls;

/// <summary>
/// The client TLS objects derived from one <see cref="X509Context"/>: the certificate context (leaf plus
/// intermediates, so every handshake sends the full chain), a verifier over that snapshot's bundles, and the
/// authentication options per target host and ALPN set. Built once per snapshot; handshakes only read it.
/// </summary>
internal sealed class ClientTlsSnapshot
{
    /// <summary>Bounds the per-host options cache: a client talks to few hosts, but host names come from callers.</summary>
    private const int MaxCachedOptions = 256;

    private static readonly List<SslApplicationProtocol> Http2OrHttp11Protocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> Http2OnlyProtocols = [SslApplicationProtocol.Http2];

    private readonly ConcurrentDictionary<(string Host, ClientAlpn Alpn), SslClientAuthenticationOptions> _options = new();
    private readonly SslStreamCertificateContext _certificateContext;
    private readonly X509ChainPolicy _chainPolicy;

    internal ClientTlsSnapshot(X509Context context, X509Svid svid, Authorizer authorizer, string rule, TimeProvider time)
    {
        Context = context;
        Svid = svid;
        Authorizer = authorizer;
        Rule = rule;
        Verifier = new X509SvidVerifier(context.Bundles, time);

        _certificateContext = TlsCertificateContext.Create(svid);

        _chainPolicy = PeerChainPolicy.Create(context.Bundles);
    }

    /// <summary>The snapshot these objects were built from.</summary>
    internal X509Context Context { get; }

    /// <summary>The SVID presented by every handshake made with this snapshot.</summary>
    internal X509Svid Svid { get; }

    internal Authorizer Authorizer { get; }

    /// <summary>The authorizer's description, computed once for errors and metrics.</summary>
    internal string Rule { get; }

    internal X509SvidVerifier Verifier { get; }

    /// <summary>The options for a handshake with <paramref name="targetHost"/>, cached per host and ALPN set.</summary>
    internal SslClientAuthenticationOptions GetOptions(string targetHost, ClientAlpn alpn)
    {
        if (_options.TryGetValue((targetHost, alpn), out var cached))
        {
            return cached;
        }

        var options = CreateOptions(targetHost, alpn);
        return _options.Count < MaxCachedOptions ? _options.GetOrAdd((targetHost, alpn), options) : options;
    }

    private SslClientAuthenticationOptions CreateOptions(string targetHost, ClientAlpn alpn) => new()
    {
        TargetHost = targetHost,
        ClientCertificateContext = _certificateContext,
        RemoteCertificateValidationCallback = SpiffeClientSslStream.Validate,
        CertificateChainPolicy = _chainPolicy,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        ApplicationProtocols = alpn switch
        {
            ClientAlpn.Http2OrHttp11 => Http2OrHttp11Protocols,
            ClientAlpn.Http2Only => Http2OnlyProtocols,
            _ => null,
        },

        // A resumed session re-presents neither side's certificate: the server would keep seeing the SVID of an
        // earlier connection after a rotation, and the server's chain would not be checked against the current
        // bundle. .NET 10 also misreports mutual authentication on resumed TLS 1.3 sessions (runtime#123238).
        AllowTlsResume = false,
    };
}
