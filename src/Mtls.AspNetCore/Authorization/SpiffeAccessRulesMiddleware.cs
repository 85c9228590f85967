using Mtls.AspNetCore.Authentication;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mtls.Authorization;
using Mtls.Telemetry;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// First in the pipeline: makes the verified peer the request's user, tags the request's activity with its SPIFFE ID
/// and applies the declarative rules of
/// <c>Spiffe:Authorization</c>. A denied request ends with a bare 403 (nothing for the peer to learn); the operator
/// gets a log line with the peer, method, path and deciding rule.
/// </summary>
internal sealed partial class SpiffeAccessRulesMiddleware(RequestDelegate next, PeerAccessPolicy policy, ILogger<SpiffeAccessRulesMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var feature = context.Features.Get<ISpiffePeerFeature>();
        var peer = feature?.Id;
        if (peer is not null)
        {
            Activity.Current?.SetTag(MtlsTelemetry.PeerSpiffeIdTag, peer.ToString());

            // The handshake already authenticated the peer, so the user is set here from the connection's cached
            // principal; an application with another default scheme still gets its own authentication on top.
            if (feature is SpiffePeerFeature connection)
            {
                context.User = connection.Principal;
            }
        }

        if (policy.IsEmpty)
        {
            return next(context);
        }

        var request = context.Request;
        var decision = policy.Evaluate(peer, request.Method, request.Path.Value);
        if (decision.AuditRule is { } audit)
        {
            SpiffeAuthorizationTelemetry.Record("audit", audit.Name);
            LogAudit(logger, PeerText(peer), request.Method, request.Path.Value ?? string.Empty, audit.Name, decision.IsAllowed ? "allow" : "deny", decision.RuleName);
        }

        SpiffeAuthorizationTelemetry.Record(decision.IsAllowed, decision.RuleName);
        if (decision.IsAllowed)
        {
            return next(context);
        }

        LogDenied(logger, PeerText(peer), request.Method, request.Path.Value ?? string.Empty, decision.RuleName);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    private static string PeerText(Mtls.Identity.SpiffeId? peer) => peer?.ToString() ?? "(none)";

    [LoggerMessage(1, LogLevel.Warning, "SPIFFE access rules denied: peer {PeerSpiffeId}, {Method} {Route}, rule {Rule}", EventName = "SpiffeRuleDenied")]
    private static partial void LogDenied(ILogger logger, string peerSpiffeId, string method, string route, string rule);

    [LoggerMessage(2, LogLevel.Information, "SPIFFE access audit: peer {PeerSpiffeId}, {Method} {Route}, audit rule {AuditRule}, decision {Decision} by rule {Rule}", EventName = "SpiffeRuleAudit")]
    private static partial void LogAudit(ILogger logger, string peerSpiffeId, string method, string route, string auditRule, string decision, string rule);
}
