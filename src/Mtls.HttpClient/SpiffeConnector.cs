using System.Net;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Mtls.Identity;
using Mtls.Telemetry;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Http;

/// <summary>
/// Opens the connections of a <see cref="SocketsHttpHandler"/>: TCP, then the SPIFFE mTLS handshake run here
/// rather than by the handler, so that each connection takes the SVID current at that moment (handler settings
/// freeze after the first request) and the server is checked by SPIFFE rules instead of host names. The handler
/// recognises the returned, already authenticated <see cref="System.Net.Security.SslStream"/> and does not wrap it
/// again; it still reads the negotiated ALPN protocol to choose HTTP/2 or HTTP/1.1.
/// </summary>
internal sealed partial class SpiffeConnector
{
    private readonly SpiffeTlsClient _tls;
    private readonly ILogger _logger;
    private readonly LogRateLimiter _refusals;
    private readonly SpiffeIdLabels _labels;

    internal SpiffeConnector(SpiffeTlsClient tls, ILogger logger, TimeProvider? time = null, SpiffeIdLabels? labels = null)
    {
        _tls = tls;
        _logger = logger;
        _refusals = new LogRateLimiter(time);
        _labels = labels ?? SpiffeIdLabels.Default;
    }

    /// <summary>A handler whose every connection is SPIFFE mTLS.</summary>
    internal SocketsHttpHandler CreateHandler(SpiffeHttpClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            PooledConnectionLifetime = options.PooledConnectionLifetime,
            ConnectTimeout = options.ConnectTimeout,
            EnableMultipleHttp2Connections = true,

            // Through a proxy the handler, not ConnectAsync, would run TLS to the server.
            UseProxy = false,
        };

        // Fails closed for any TLS the handler would run itself instead of ConnectAsync (HTTP/3 over QUIC).
        handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => false;
        if (_labels.Enabled)
        {
            new SpiffeConnectionIdentities(_labels).Attach(handler);
        }

        return handler;
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>.</summary>
    internal async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endPoint = context.DnsEndPoint;
        var request = context.InitialRequestMessage;
        if (!string.Equals(request.RequestUri?.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
        {
            throw new AuthenticationException($"refusing a plain-text request to {endPoint.Host}:{endPoint.Port}: a SPIFFE mTLS client only calls https URIs");
        }

        try
        {
            var connection = await _tls.ConnectAsync(endPoint, SelectAlpn(request), cancellationToken).ConfigureAwait(false);
            LogConnected(_logger, connection.PeerId, endPoint.Host, endPoint.Port);
            return connection.Stream;
        }
        catch (SpiffePeerRefusedException e)
        {
            var refused = ToPublic(e, endPoint);
            LogRefusal(e.Failure.Outcome, endPoint, refused.Message);
            throw refused;
        }
    }

    /// <summary>
    /// A server decides how often it is refused and what its certificate says: refusals are logged at most
    /// <see cref="LogRateLimiter.DefaultPermitsPerInterval"/> times per outcome and interval, with a count of the rest,
    /// and the reason (which quotes the server's unverified certificate) is escaped and capped.
    /// </summary>
    private void LogRefusal(string outcome, DnsEndPoint endPoint, string reason)
    {
        if (!_logger.IsEnabled(LogLevel.Warning) || !_refusals.TryAcquire(outcome, out long suppressed))
        {
            return;
        }

        if (suppressed > 0)
        {
            LogRefusalsSuppressed(_logger, suppressed, outcome, _refusals.Interval);
        }

        LogRefused(_logger, endPoint.Host, endPoint.Port, LogText.Sanitize(reason));
    }

    /// <summary>Offers the ALPN protocols SocketsHttpHandler itself would offer for the request's version policy.</summary>
    internal static IReadOnlyList<System.Net.Security.SslApplicationProtocol> SelectAlpn(HttpRequestMessage request)
    {
        if (request.Version.Major >= 2 && request.VersionPolicy != HttpVersionPolicy.RequestVersionOrLower)
        {
            return ClientAlpn.Http2Only;
        }

        return request.Version.Major >= 2 || request.VersionPolicy == HttpVersionPolicy.RequestVersionOrHigher
            ? ClientAlpn.Http2OrHttp11
            : ClientAlpn.Http11;
    }

    private static SpiffeAuthorizationException ToPublic(SpiffePeerRefusedException e, DnsEndPoint endPoint)
    {
        var failure = e.Failure;
        string server = $"{endPoint.Host}:{endPoint.Port}";
        return failure.Kind switch
        {
            SpiffePeerRefusal.Unauthorized => new SpiffeAuthorizationException(
                $"server {server} presented SPIFFE ID '{e.PeerId}', which is not authorized: rule '{e.Rule}'", e.PeerId, e.Rule, null, e),
            SpiffePeerRefusal.NoCertificate => new SpiffeAuthorizationException(
                $"server {server} presented no certificate", null, e.Rule, X509SvidRule.MalformedCertificate, e),
            _ => new SpiffeAuthorizationException(
                $"server {server} was refused: {failure.Message}", null, e.Rule, failure.Rule ?? X509SvidRule.ChainNotTrusted, e),
        };
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "mTLS connection to {ServerId} at {Host}:{Port}")]
    private static partial void LogConnected(ILogger logger, SpiffeId? serverId, string host, int port);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Refused server {Host}:{Port}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string host, int port, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Suppressed} more refused servers with reason {Outcome} were not logged in the last {Interval} (rate limit)")]
    private static partial void LogRefusalsSuppressed(ILogger logger, long suppressed, string outcome, TimeSpan interval);
}
