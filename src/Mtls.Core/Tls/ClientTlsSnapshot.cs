using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mtls.Authorization;
using Mtls.Sources;
using Mtls.X509;

namespace Mtls.Tls;

/// <summary>
/// The client TLS objects derived from one <see cref="X509Context"/>: the certificate context (leaf plus
/// intermediates, so every handshake sends the full chain), the validation callback over that snapshot's bundles, and
/// the authentication options per target host and ALPN list. Built once per snapshot; handshakes only read it.
/// </summary>
internal sealed class ClientTlsSnapshot
{
    /// <summary>Bounds the per-host options cache: a client talks to few hosts, but host names come from callers.</summary>
    private const int MaxCachedOptions = 256;

    private readonly ConcurrentDictionary<(string Host, IReadOnlyList<SslApplicationProtocol> Alpn, bool Resumable), SslClientAuthenticationOptions> _options = new();
    private readonly SslStreamCertificateContext _certificateContext;
    private readonly X509ChainPolicy _chainPolicy;
    private readonly X509SvidVerifier _verifier;
    private readonly VerifiedChains _chains = new();
    private readonly Func<object?, X509Certificate?, X509Chain?, SpiffePeerRefusedException?> _verify;
    private readonly RemoteCertificateValidationCallback _validate;

    internal ClientTlsSnapshot(X509Context context, X509Svid svid, Authorizer authorizer, string rule, TimeProvider time)
    {
        Context = context;
        Svid = svid;
        _verifier = new X509SvidVerifier(context.Bundles, time);
        _certificateContext = TlsCertificateContext.Create(svid);
        _chainPolicy = PeerChainPolicy.Create(context.Bundles);

        // SslStream's own SslPolicyErrors are ignored on purpose: its chain was built without SPIFFE's rules and SVIDs
        // carry no host name; PeerVerification decides, and records the outcome with the stream (the sender).
        _verify = (sender, certificate, chain) =>
        {
            bool ok = PeerVerification.Validate(sender, context.Bundles, _verifier, _chains, authorizer, certificate, chain, out var id, out var failure);
            if (id is not null)
            {
                ClientTlsTelemetry.RecordAuthorization(id, ok, rule);
            }

            if (ok)
            {
                return null;
            }

            // What PeerVerification recorded with the stream (it knows whether the chain came from memory).
            var refused = (sender is SslStream stream ? RefusedPeer.Of(stream) : null) ?? new RefusedPeer(failure!, id, ChainFromMemory: false);
            return new SpiffePeerRefusedException(refused, rule, innerException: null);
        };

        // The callback throws its refusal rather than returning false: SslStream hands the callback's exception to
        // whoever runs the handshake, so a library that runs it with these options (Npgsql, StackExchange.Redis)
        // surfaces the typed refusal in its exception chain instead of SslStream's generic "certificate rejected".
        // The handshake fails either way.
        _validate = (sender, certificate, chain, errors) => _verify(sender, certificate, chain) is { } refusal ? throw refusal : true;
    }

    /// <summary>The snapshot these objects were built from.</summary>
    internal X509Context Context { get; }

    /// <summary>The SVID presented by every handshake made with this snapshot.</summary>
    internal X509Svid Svid { get; }

    /// <summary>
    /// The options for a handshake with <paramref name="targetHost"/>, cached per host, ALPN list and whether they allow
    /// session resumption (only for handshakes that <see cref="Confirm"/> follows).
    /// </summary>
    internal SslClientAuthenticationOptions GetOptions(string targetHost, IReadOnlyList<SslApplicationProtocol> alpn, bool resumable)
    {
        if (_options.TryGetValue((targetHost, alpn, resumable), out var cached))
        {
            return cached;
        }

        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            ApplicationProtocols = alpn.Count == 0 ? null : [.. alpn],
        };
        Configure(options, resumable);
        return _options.Count < MaxCachedOptions ? _options.GetOrAdd((targetHost, alpn, resumable), options) : options;
    }

    /// <summary>
    /// The verified server of a completed handshake on this snapshot's options: recorded by the validation callback,
    /// or, when the runtime ran none (runtime#133174 would skip it for resumed sessions), verified here from the
    /// server's leaf. Null (and the reason recorded with the stream) when it does not verify.
    /// </summary>
    internal VerifiedPeer? Confirm(SslStream stream) =>
        VerifiedPeer.Of(stream) ?? (_verify(stream, stream.RemoteCertificate, null) is null ? VerifiedPeer.Of(stream) : null);

    /// <summary>Sets this snapshot's SVID and server verification on <paramref name="options"/>.</summary>
    internal void Configure(SslClientAuthenticationOptions options, bool resumable)
    {
        options.ClientCertificateContext = _certificateContext;
        options.ClientCertificates = null;
        options.LocalCertificateSelectionCallback = null;
        options.RemoteCertificateValidationCallback = _validate;
        options.CertificateChainPolicy = _chainPolicy;
        options.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;

        // Resumption is safe only where Confirm follows the handshake (the runtime may skip the validation callback on
        // a resumed session, runtime#133174); options handed to other code never resume. A rotated SVID never resumes
        // an older session: .NET keys client sessions by the client certificate too (runtime#102656). On a resumed TLS
        // 1.3 session .NET 10 reports LocalCertificate null and IsMutuallyAuthenticated false (runtime#123238): nothing
        // here reads either.
        options.AllowTlsResume = resumable;
    }
}
