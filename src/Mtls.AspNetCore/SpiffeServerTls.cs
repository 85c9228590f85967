using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Authorization;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Tls;

namespace Mtls.AspNetCore;

/// <summary>
/// The server's TLS state shared by every mTLS endpoint: the source, what the handshake admits, and one
/// <see cref="SpiffeServerTlsOptionsCache"/> per endpoint (endpoints differ only in their ALPN protocols).
/// </summary>
internal sealed class SpiffeServerTls : IDisposable
{
    private readonly IX509Source _source;
    private readonly SpiffeServerTlsSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<SpiffeServerTlsOptionsCache> _caches = [];
    private readonly HashSet<ListenOptions> _endpoints = new(ReferenceEqualityComparer.Instance);

    public SpiffeServerTls(IX509Source source, IOptions<SpiffeMtlsOptions> options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var value = options.Value;
        // The server presents the source's choice; the app-level hint and trust domain are applied to it here (a
        // no-op when the source already chose by them).
        _source = X509SourceChoice.Apply(
            source,
            new SvidPreference(string.IsNullOrEmpty(value.SvidHint) ? null : value.SvidHint, value.TrustDomain is null ? null : TrustDomain.Parse(value.TrustDomain)),
            loggerFactory.CreateLogger("Mtls.AspNetCore.Tls"));
        _time = time;
        _logger = loggerFactory.CreateLogger("Mtls.AspNetCore.Tls");
        HandshakeTimeout = value.HandshakeTimeout;
        var trustDomain = value.TrustDomain is null ? null : TrustDomain.Parse(value.TrustDomain);
        var authorizer = value.HandshakeAuthorizer
            ?? TrustDomainAuthorizer.MemberOfAny(value.AuthorizedTrustDomains);
        _settings = new SpiffeServerTlsSettings(trustDomain, authorizer);
    }

    internal TimeSpan HandshakeTimeout { get; }

    /// <summary>True the first time <paramref name="endpoint"/> is seen, so that applying mTLS twice is harmless.</summary>
    internal bool TryClaim(ListenOptions endpoint)
    {
        lock (_gate)
        {
            return _endpoints.Add(endpoint);
        }
    }

    /// <summary>A cache whose options offer ALPN for <paramref name="protocols"/>, as Kestrel would.</summary>
    internal SpiffeServerTlsOptionsCache CreateCache(HttpProtocols protocols)
    {
        var alpn = new List<SslApplicationProtocol>(2);
        if ((protocols & HttpProtocols.Http2) != 0)
        {
            alpn.Add(SslApplicationProtocol.Http2);
        }

        if ((protocols & HttpProtocols.Http1) != 0)
        {
            alpn.Add(SslApplicationProtocol.Http11);
        }

        var cache = new SpiffeServerTlsOptionsCache(_source, _settings, alpn, _time, _logger);
        lock (_gate)
        {
            _caches.Add(cache);
        }

        return cache;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var cache in _caches)
            {
                cache.Dispose();
            }

            _caches.Clear();
        }
    }
}
