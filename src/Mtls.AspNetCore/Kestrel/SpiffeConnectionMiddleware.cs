using System.Diagnostics;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Inventory;
using Mtls.Authorization;
using Mtls.Telemetry;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// Mtls's one middleware, first in the pipeline: every request must have come through an endpoint the Kestrel part
/// covers. On an mTLS connection the peer is re-checked (expiry, bundle changes): a peer no longer valid gets a bare
/// 403 and its connection is closed. On an exempt endpoint only its listed paths are served. A plaintext request on a
/// permissive endpoint is served without a peer, then counted and logged by route. A connection older than
/// <see cref="SpiffeMtlsOptions.MaxConnectionAge"/> serves the request and is then closed gracefully. Then the rule set
/// (<see cref="SpiffeAccessRules"/>) decides on the peer this check left, and the caller inventory
/// (<see cref="SpiffeCallerInventoryRecorder"/>) records what it admitted.
/// </summary>
internal sealed partial class SpiffeConnectionMiddleware(RequestDelegate next, SpiffeServerTls tls, SpiffeAccessRules rules, SpiffeCallerInventoryRecorder inventory, ILogger<SpiffeConnectionMiddleware> logger)
{
    private readonly TimeSpan _maxAge = tls.Options.MaxConnectionAge;
    private readonly LogRateLimiter _plaintextLog = new(tls.Time);

    public Task InvokeAsync(HttpContext context)
    {
        var connection = context.Features.Get<SpiffeConnection>();
        if (connection is null)
        {
            LogUncovered(logger, context.Connection.LocalPort, context.Request.Path.Value ?? string.Empty);
            return Refuse(context, StatusCodes.Status403Forbidden);
        }

        var now = tls.Time.GetUtcNow();
        if (connection.Peer is { } peer)
        {
            var validity = peer.Check(tls.Source, now, tls.Time);
            if (validity != SpiffePeerValidity.Valid)
            {
                if (connection.TryMarkCloseRequested())
                {
                    LogPeerNoLongerValid(logger, peer.Id.ToString(), validity.ToString());
                }

                return Refuse(context, StatusCodes.Status403Forbidden);
            }

            connection.Identities?.Apply(context.Features.Get<IHttpMetricsTagsFeature>(), Activity.Current);
        }
        else if (connection.Exemption is { Paths.Count: > 0 } exemption && !IsListed(exemption.Paths, context.Request.Path.Value))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        if (_maxAge != Timeout.InfiniteTimeSpan && now - connection.OpenedAt > _maxAge && connection.TryMarkCloseRequested())
        {
            // Served, then closed gracefully (Connection: close on HTTP/1.1, GOAWAY on HTTP/2): the client reconnects
            // through a full handshake against the current SVIDs and bundles.
            context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
        }

        if (connection.IsPlaintext)
        {
            ReportPlaintextWhenStarting(context);
        }

        if (!rules.Admit(context, connection.Peer?.Id))
        {
            return Task.CompletedTask;
        }

        inventory.Observe(context);
        return next(context);
    }

    /// <summary>
    /// Counts and logs a request that a permissive endpoint accepted without TLS, by route (at most
    /// <see cref="LogRateLimiter.DefaultPermitsPerInterval"/> lines per route and minute), once routing has chosen it
    /// and before the response starts (a refusal by the rule set is reported too), so that the operator sees which
    /// callers must still move to mTLS before the port turns STRICT.
    /// </summary>
    private void ReportPlaintextWhenStarting(HttpContext context) =>
        context.Response.OnStarting(static state =>
        {
            var (middleware, context) = ((SpiffeConnectionMiddleware, HttpContext))state;
            middleware.ReportPlaintext(context);
            return Task.CompletedTask;
        }, (this, context));

    private void ReportPlaintext(HttpContext context)
    {
        string route = SpiffeCallRoute.Template(context);
        SpiffeInventoryTelemetry.PlaintextRequests.Add(1, new KeyValuePair<string, object?>(SpiffeInventoryTelemetry.RouteTag, route));
        if (_plaintextLog.TryAcquire(route, out long suppressed))
        {
            if (suppressed > 0)
            {
                LogPlaintextSuppressed(logger, suppressed, route);
            }

            LogPlaintext(logger, context.Connection.LocalPort, SpiffeCallRoute.Method(context.Request), route, context.Connection.RemoteIpAddress?.ToString() ?? "(unknown)");
        }
    }

    private static Task Refuse(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Connection = "close";
        context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
        return Task.CompletedTask;
    }

    /// <summary>Whether the request's path, read as the rule set reads it, is one of the exemption's paths; an ambiguous path never is.</summary>
    private static bool IsListed(IReadOnlyList<string> paths, string? path)
    {
        if (!SpiffeAccessRules.TryGetRoutedPath(path, out string? routed))
        {
            return false;
        }

        foreach (string listed in paths)
        {
            if (RequestPath.TryNormalize(listed, out string? normal) && routed.Equals(normal, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(1, LogLevel.Error, "Refused a request on port {Port} ({Path}): its endpoint neither speaks SPIFFE mTLS nor is exempt", EventName = "SpiffeUncoveredEndpoint")]
    private static partial void LogUncovered(ILogger logger, int port, string path);

    [LoggerMessage(3, LogLevel.Warning, "Plaintext request on permissive port {Port}: {Method} {Route} from {RemoteAddress}; this caller has no SPIFFE peer and must move to mTLS before the port turns STRICT", EventName = "SpiffePlaintextRequest")]
    private static partial void LogPlaintext(ILogger logger, int port, string method, string route, string remoteAddress);

    [LoggerMessage(4, LogLevel.Warning, "{Suppressed} more plaintext requests to {Route} were not logged in the last minute", EventName = "SpiffePlaintextRequestsSuppressed")]
    private static partial void LogPlaintextSuppressed(ILogger logger, long suppressed, string route);

    [LoggerMessage(2, LogLevel.Warning, "Closing a connection from {PeerSpiffeId}: the peer is no longer valid ({Reason})", EventName = "SpiffePeerNoLongerValid")]
    private static partial void LogPeerNoLongerValid(ILogger logger, string peerSpiffeId, string reason);
}
