using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Decides <see cref="SpiffePeerRequirement"/>s on the verified TLS peer of the current request's connection, and on
/// nothing else: not on claims (a bearer token or cookie may carry a <c>spiffe_id</c> claim of its issuer's choosing),
/// not on the user being authorized, and not on an <see cref="ISpiffePeerFeature"/> set by anyone but the Kestrel part.
/// The request is the authorization resource (endpoint routing and MVC pass it; an imperative
/// <c>IAuthorizationService.AuthorizeAsync</c> call passes <c>HttpContext</c> as the resource, or relies on an
/// <see cref="IHttpContextAccessor"/> the app registered: the library does not register one, which would cost every
/// request); without a request there is no peer, and the requirement fails, as it does when the scheme's <c>OnValidated</c>
/// event refused the peer for this request. Counts each decision and logs each denial.
/// </summary>
internal sealed partial class SpiffePeerRequirementHandler(ILogger<SpiffePeerRequirementHandler> logger, IHttpContextAccessor? accessor = null)
    : AuthorizationHandler<SpiffePeerRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SpiffePeerRequirement requirement)
    {
        var http = VerifiedIdentities.Request(context, accessor);
        var peer = VerifiedIdentities.Peer(http);
        if (peer is not null && requirement.Authorizer.IsAuthorized(peer))
        {
            SpiffeAuthorizationTelemetry.Record(allowed: true, "policy");
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        SpiffeAuthorizationTelemetry.Record(allowed: false, "policy");
        if (peer is not null)
        {
            LogDenied(logger, peer.ToString(), http?.Request.Method ?? string.Empty, VerifiedIdentities.Route(http), requirement.Authorizer.ToString());
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Warning, "SPIFFE authorization denied: peer {PeerSpiffeId}, {Method} {Route}, rule {Rule}", EventName = "SpiffePolicyDenied")]
    private static partial void LogDenied(ILogger logger, string peerSpiffeId, string method, string route, string rule);
}
