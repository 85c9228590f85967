using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mtls.Authorization;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Right after the connection check, before routing: applies the declarative rules of <c>Spiffe:Authorization</c> to
/// the connection's verified peer (none on an exempt endpoint). A denied request ends with a bare 403 (nothing for the peer to learn); the operator
/// gets a log line with the peer, method, path and deciding rule.
/// </summary>
internal sealed partial class SpiffeAccessRulesMiddleware(RequestDelegate next, PeerAccessPolicy policy, ILogger<SpiffeAccessRulesMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        // Only the peer the Kestrel part verified, and re-checked for this request, counts.
        var peer = (context.Features.Get<ISpiffePeerFeature>() as SpiffePeerFeature)?.Id;
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
