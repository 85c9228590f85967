using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore.Authentication;
using Mtls.Identity;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Decides <see cref="SpiffePeerRequirement"/>s on the peer the handshake verified (read from the connection when the
/// resource is the request, else from the <c>spiffe_id</c> claim), counts each decision and logs each denial.
/// </summary>
internal sealed partial class SpiffePeerRequirementHandler(ILogger<SpiffePeerRequirementHandler> logger) : AuthorizationHandler<SpiffePeerRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SpiffePeerRequirement requirement)
    {
        var http = context.Resource as HttpContext;
        var peer = http?.GetPeerSpiffeId()
            ?? (SpiffeId.TryParse(context.User.FindFirst(SpiffeClaimTypes.SpiffeId)?.Value, out var claimed) ? claimed : null);
        if (peer is not null && requirement.Authorizer.IsAuthorized(peer))
        {
            SpiffeAuthorizationTelemetry.Record(allowed: true, "policy");
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        SpiffeAuthorizationTelemetry.Record(allowed: false, "policy");
        if (peer is not null)
        {
            LogDenied(logger, peer.ToString(), http?.Request.Method ?? string.Empty, Route(http), requirement.Authorizer.ToString());
        }

        return Task.CompletedTask;
    }

    private static string Route(HttpContext? http) =>
        http is null ? string.Empty : (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value ?? string.Empty;

    [LoggerMessage(1, LogLevel.Warning, "SPIFFE authorization denied: peer {PeerSpiffeId}, {Method} {Route}, rule {Rule}", EventName = "SpiffePolicyDenied")]
    private static partial void LogDenied(ILogger logger, string peerSpiffeId, string method, string route, string rule);
}
