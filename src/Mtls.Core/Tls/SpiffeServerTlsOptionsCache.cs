using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.X509;

namespace Mtls.Tls;

/// <summary>
/// The server side's TLS settings for the current snapshot of a source: one <see cref="SslServerAuthenticationOptions"/>
/// built when the source changes (own chain resolved once, offline, into a <see cref="SslStreamCertificateContext"/>;
/// client certificate required; peers verified against the bundle of their own trust domain, then authorized) and
/// swapped atomically. A handshake only reads <see cref="Current"/>: no lock, no chain built for our certificate.
/// </summary>
internal sealed partial class SpiffeServerTlsOptionsCache : IDisposable
{
    private readonly IX509Source _source;
    private readonly SpiffeServerTlsSettings _settings;
    private readonly List<SslApplicationProtocol> _applicationProtocols;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _rebuild = new();
    private readonly IDisposable _subscription;
    private readonly LogRateLimiter _refusals;
    private Entry? _current;

    /// <summary>Builds the options for the source's current snapshot and rebuilds them on every change.</summary>
    /// <param name="source">Where our SVID and the trusted bundles come from.</param>
    /// <param name="settings">Which peers to admit (the SVID served is the source's choice: apply a preference with <see cref="X509SourceChoice.Apply"/>).</param>
    /// <param name="applicationProtocols">The ALPN protocols to offer (set here so that nobody mutates the shared options later).</param>
    /// <param name="time">The clock for peer certificate validity.</param>
    /// <param name="logger">Where refused handshakes and rebuilds are reported.</param>
    internal SpiffeServerTlsOptionsCache(
        IX509Source source,
        SpiffeServerTlsSettings settings,
        IEnumerable<SslApplicationProtocol> applicationProtocols,
        TimeProvider time,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(applicationProtocols);
        _source = source;
        _settings = settings;
        _applicationProtocols = [.. applicationProtocols];
        _time = time ?? TimeProvider.System;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _refusals = new LogRateLimiter(_time);
        Rebuild();
        _subscription = ChangeToken.OnChange(source.GetChangeToken, Rebuild);
    }

    /// <summary>The options for the next handshake, or null while no usable SVID is available.</summary>
    internal SslServerAuthenticationOptions? Current => Volatile.Read(ref _current)?.Options;

    /// <summary>The SVID <see cref="Current"/> serves, or null.</summary>
    internal X509Svid? Svid => Volatile.Read(ref _current)?.Svid;

    public void Dispose() => _subscription.Dispose();

    private void Rebuild()
    {
        lock (_rebuild)
        {
            var entry = Build();
            Volatile.Write(ref _current, entry);
            if (entry is not null)
            {
                LogServing(_logger, entry.Svid.Id.ToString(), entry.Svid.NotAfter, entry.Admits);
            }
        }
    }

    private Entry? Build()
    {
        // The source's own choice, read with the snapshot it was made from: the server presents exactly what
        // GetX509Svid() says (hint, trust domain and picker are applied there, once per snapshot).
        var selection = X509SourceChoice.Read(_source);
        var context = selection?.Context;
        var svid = selection?.Svid;
        if (context is null || svid is null)
        {
            LogNoSvid(_logger);
            return null;
        }

        var verifier = new X509SvidVerifier(context.Bundles, _time);
        var authorizer = _settings.Authorizer ?? Authorizer.MemberOf(_settings.TrustDomain ?? svid.Id.TrustDomain);
        var chainPolicy = PeerChainPolicy.Create(context.Bundles);

        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = TlsCertificateContext.Create(svid),
            ClientCertificateRequired = true,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = chainPolicy,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = _applicationProtocols,
            AllowRenegotiation = false,
            // runtime#123238: a resumed TLS 1.3 session reports no client certificate, and resumption would skip
            // peer re-validation after a bundle drops a CA. Every connection runs the full handshake.
            AllowTlsResume = false,
            RemoteCertificateValidationCallback = (sender, certificate, chain, _) => Validate(sender, context.Bundles, verifier, authorizer, certificate, chain),
        };
        return new Entry(options, svid, authorizer.ToString());
    }

    private bool Validate(object? sender, X509BundleSet bundles, X509SvidVerifier verifier, Authorizer authorizer, X509Certificate? certificate, X509Chain? chain)
    {
        using var activity = MtlsTelemetry.ActivitySource.StartActivity("mtls.handshake", ActivityKind.Server);
        bool ok = PeerVerification.TryVerify(verifier, authorizer, certificate, chain, out var id, out var failure);
        if (ok && certificate is X509Certificate2 leaf)
        {
            // Requests on this connection check later that the peer is still valid (expiry, bundle changes).
            VerifiedPeer.Record(sender, id!, leaf, chain, bundles.GetX509Bundle(id!.TrustDomain));
        }

        string outcome = ok ? "ok" : failure!.Outcome;
        MtlsTelemetry.Handshakes.Add(1, new(MtlsTelemetry.SideTag, "server"), new(MtlsTelemetry.OutcomeTag, outcome));
        if (activity is not null)
        {
            activity.SetTag(MtlsTelemetry.SideTag, "server");
            activity.SetTag(MtlsTelemetry.OutcomeTag, outcome);
            activity.SetTag(MtlsTelemetry.PeerSpiffeIdTag, id?.ToString());
            activity.SetStatus(ok ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
        }

        if (!ok && _logger.IsEnabled(LogLevel.Warning))
        {
            // A peer decides how often it is refused: rate-limited per outcome (a fixed set of labels), and the detail
            // quotes its unverified certificate, so it is escaped and capped. The ID is shown only once verified.
            if (_refusals.TryAcquire(outcome, out long suppressed))
            {
                if (suppressed > 0)
                {
                    LogRefusalsSuppressed(_logger, suppressed, outcome, _refusals.Interval);
                }

                LogRefused(_logger, id?.ToString() ?? "(unverified)", outcome, LogText.Sanitize(failure!.Message));
            }
        }

        return ok;
    }

    [LoggerMessage(1, LogLevel.Warning, "mTLS handshake refused: peer {PeerSpiffeId}, reason {Outcome}: {Detail}", EventName = "ServerHandshakeRefused")]
    private static partial void LogRefused(ILogger logger, string peerSpiffeId, string outcome, string detail);

    [LoggerMessage(5, LogLevel.Warning, "{Suppressed} more mTLS handshakes refused for reason {Outcome} were not logged in the last {Interval} (rate limit)", EventName = "ServerHandshakeRefusalsSuppressed")]
    private static partial void LogRefusalsSuppressed(ILogger logger, long suppressed, string outcome, TimeSpan interval);

    [LoggerMessage(2, LogLevel.Warning, "No X509-SVID to serve (none received, withdrawn, or none fits the SVID hint or trust domain): TLS handshakes fail until the source delivers one", EventName = "ServerNoSvid")]
    private static partial void LogNoSvid(ILogger logger);

    [LoggerMessage(4, LogLevel.Information, "Serving X509-SVID {SpiffeId} (expires {NotAfter:u}); handshake admits peers: {Authorizer}", EventName = "ServerServingSvid")]
    private static partial void LogServing(ILogger logger, string spiffeId, DateTimeOffset notAfter, string authorizer);

    private sealed record Entry(SslServerAuthenticationOptions Options, X509Svid Svid, string Admits);
}
