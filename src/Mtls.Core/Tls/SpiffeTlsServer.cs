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
/// The server half of SPIFFE mTLS over any stream (go-spiffe's <c>tlsconfig.MTLSServerConfig</c>): presents the SVID
/// the source chose (with its intermediates), requires a client certificate, verifies it against the bundle of the
/// client's own trust domain (never the system store), and admits only the SPIFFE IDs the authorizer allows. One
/// <see cref="SslServerAuthenticationOptions"/> is built per snapshot of the source and swapped atomically when it
/// rotates, so each handshake uses the current SVID and bundles and costs no more than a read. Kestrel's endpoints
/// use exactly this type.
/// </summary>
/// <example>
/// <code>
/// using var server = new SpiffeTlsServer(source, Authorizer.Id("spiffe://example.org/client"));
/// await using var listener = SpiffeTlsListener.Start(new IPEndPoint(IPAddress.Loopback, 5000), server);
/// await using var connection = await listener.AcceptAsync();
/// Console.WriteLine(connection.PeerId);
/// </code>
/// </example>
public sealed partial class SpiffeTlsServer : IDisposable
{
    private readonly IX509Source _source;
    private readonly SpiffeServerTlsSettings _settings;
    private readonly List<SslApplicationProtocol> _applicationProtocols;
    private readonly SpiffeTlsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _rebuild = new();
    private readonly IDisposable _subscription;
    private readonly LogRateLimiter _refusals;
    private Entry? _current;

    /// <summary>Serves <paramref name="source"/>'s SVID and admits the clients <paramref name="authorizer"/> allows.</summary>
    /// <param name="source">Where our SVID and the trusted bundles come from; the server follows its rotations.</param>
    /// <param name="authorizer">Which verified client IDs complete the handshake (e.g. <see cref="Authorizer.MemberOf(string)"/>).</param>
    /// <param name="options">Timeout, ALPN, clock and logging; defaults when null.</param>
    public SpiffeTlsServer(IX509Source source, Authorizer authorizer, SpiffeTlsOptions? options = null)
        : this(source, new SpiffeServerTlsSettings(null, authorizer ?? throw new ArgumentNullException(nameof(authorizer))), options ?? SpiffeTlsOptions.Default)
    {
    }

    /// <summary>The constructor for integrations that admit their own trust domain when no authorizer is configured.</summary>
    internal SpiffeTlsServer(IX509Source source, SpiffeServerTlsSettings settings, SpiffeTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validated();
        _source = source;
        _settings = settings;
        _applicationProtocols = [.. options.ApplicationProtocols];
        _time = options.TimeProvider;
        _logger = options.LoggerFactory.CreateLogger("Mtls.Tls.Server");
        _refusals = new LogRateLimiter(_time);
        Rebuild();
        _subscription = ChangeToken.OnChange(source.GetChangeToken, Rebuild);
    }

    /// <summary>The SVID the next handshake presents, or null while the source has none.</summary>
    public X509Svid? Svid => Volatile.Read(ref _current)?.Svid;

    /// <summary>
    /// The options for the next handshake run by this library (Kestrel's endpoints, <see cref="AuthenticateAsync"/>),
    /// which allow session resumption because <see cref="Confirm"/> follows every handshake; null while no usable SVID is
    /// available.
    /// </summary>
    internal SslServerAuthenticationOptions? Current => Volatile.Read(ref _current)?.Options;

    /// <summary>
    /// The options for a server handshake with the current SVID and bundles, for an <see cref="SslStream"/> you run
    /// yourself (read the peer afterwards with <see cref="SslStreamSpiffeExtensions.GetSpiffePeerId"/>). The object is
    /// shared by every handshake of this snapshot: do not modify it. Call this per handshake to follow rotations. These
    /// options never resume a TLS session, because only this library's own handshakes re-check a resumed peer (a
    /// runtime may skip the validation callback then); <see cref="AuthenticateAsync"/> does resume.
    /// </summary>
    /// <exception cref="InvalidOperationException">The source has no SVID (not received yet, or withdrawn).</exception>
    public SslServerAuthenticationOptions GetAuthenticationOptions() =>
        Volatile.Read(ref _current)?.ExternalOptions ?? throw new InvalidOperationException("the X.509 source has no SVID to serve (none received yet, withdrawn, or none fits the SVID hint or trust domain)");

    /// <summary>
    /// Runs the server handshake over <paramref name="transport"/>, which the result then owns; on failure the
    /// transport is disposed.
    /// </summary>
    /// <exception cref="SpiffePeerRefusedException">The client's SVID did not verify, or its ID is not authorized.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <see cref="SpiffeTlsOptions.HandshakeTimeout"/>.</exception>
    /// <exception cref="AuthenticationException">The handshake failed for another reason (including no SVID to serve).</exception>
    public async Task<SpiffeTlsConnection> AuthenticateAsync(Stream transport, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var entry = Volatile.Read(ref _current);
        var stream = new SslStream(transport, leaveInnerStreamOpen: false);
        HandshakeClock.Start(stream);
        if (entry is null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException("no X509-SVID is available to serve");
        }

        return await TlsHandshake.RunAsync(
            stream,
            (s, token) => s.AuthenticateAsServerAsync(entry.Options, token),
            Confirm,
            entry.Admits,
            _options,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _subscription.Dispose();

    /// <summary>
    /// The verified peer of a completed handshake on <see cref="Current"/>'s options. The validation callback normally
    /// recorded it; when the runtime ran none (runtime#133174 would skip it for resumed sessions), the peer's leaf is
    /// verified here against the current bundles and authorizer, with the intermediates of its earlier full handshake.
    /// Null (and the reason recorded with the stream) when it does not verify.
    /// </summary>
    internal VerifiedPeer? Confirm(SslStream stream)
    {
        if (VerifiedPeer.Of(stream) is { } peer)
        {
            return peer;
        }

        var entry = Volatile.Read(ref _current);
        return entry is not null && entry.Validate(stream, stream.RemoteCertificate, null, SslPolicyErrors.None) ? VerifiedPeer.Of(stream) : null;
    }

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

        var chains = new VerifiedChains();
        RemoteCertificateValidationCallback validate = (sender, certificate, chain, _) => Validate(sender, context.Bundles, verifier, chains, authorizer, certificate, chain);
        var certificateContext = TlsCertificateContext.Create(svid);
        return new Entry(Options(resumable: true), Options(resumable: false), validate, svid, authorizer.ToString());

        SslServerAuthenticationOptions Options(bool resumable) => new()
        {
            ServerCertificateContext = certificateContext,
            ClientCertificateRequired = true,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = chainPolicy,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = _applicationProtocols,
            AllowRenegotiation = false,

            // Resumption is safe only where Confirm follows the handshake: the runtime may skip the validation callback
            // on a resumed session (runtime#133174), and a stream run by someone else is never confirmed. Resumed
            // sessions end with our SVID: a new certificate context means new session ticket keys.
            AllowTlsResume = resumable,
            RemoteCertificateValidationCallback = validate,
        };
    }

    private bool Validate(object? sender, X509BundleSet bundles, X509SvidVerifier verifier, VerifiedChains chains, Authorizer authorizer, X509Certificate? certificate, X509Chain? chain)
    {
        using var activity = MtlsTelemetry.ActivitySource.StartActivity("mtls.handshake", ActivityKind.Server);
        bool ok = PeerVerification.Validate(sender, bundles, verifier, chains, authorizer, certificate, chain, out var id, out var failure);
        string outcome = ok ? "ok" : failure!.Outcome;
        HandshakeClock.RecordServer(sender, ok ? null : outcome);
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

    private sealed record Entry(
        SslServerAuthenticationOptions Options,
        SslServerAuthenticationOptions ExternalOptions,
        RemoteCertificateValidationCallback Validate,
        X509Svid Svid,
        string Admits);
}
