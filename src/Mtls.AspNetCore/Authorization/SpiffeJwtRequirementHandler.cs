using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Decides <see cref="SpiffeJwtSubjectRequirement"/> and <see cref="SpiffeSameIdentityRequirement"/> on the JWT-SVID the
/// named scheme validated for the request (and, for the second, the connection's verified mTLS peer); never on claims.
/// Counts each decision and logs each denial of a request that had a validated token.
/// </summary>
internal sealed partial class SpiffeJwtRequirementHandler(ILogger<SpiffeJwtRequirementHandler> logger, IHttpContextAccessor? accessor = null)
    : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        HttpContext? http = null;
        foreach (var requirement in context.Requirements)
        {
            switch (requirement)
            {
                case SpiffeJwtSubjectRequirement subject:
                    http ??= VerifiedIdentities.Request(context, accessor);
                    var id = VerifiedIdentities.JwtSubject(http, subject.AuthenticationScheme);
                    Decide(context, requirement, http, id is not null && subject.Authorizer.IsAuthorized(id), id?.ToString(), subject.Authorizer.ToString());
                    break;
                case SpiffeSameIdentityRequirement same:
                    http ??= VerifiedIdentities.Request(context, accessor);
                    var jwt = VerifiedIdentities.JwtSubject(http, same.AuthenticationScheme);
                    var peer = VerifiedIdentities.Peer(http);
                    Decide(context, requirement, http, jwt is not null && jwt == peer, jwt is null ? null : $"{jwt} (mTLS peer {peer?.ToString() ?? "(none)"})", "mTLS peer = JWT subject");
                    break;
            }
        }

        return Task.CompletedTask;
    }

    private void Decide(AuthorizationHandlerContext context, IAuthorizationRequirement requirement, HttpContext? http, bool allowed, string? subject, string rule)
    {
        SpiffeAuthorizationTelemetry.Record(allowed, "policy-jwt");
        if (allowed)
        {
            context.Succeed(requirement);
        }
        else if (subject is not null)
        {
            LogDenied(logger, subject, http?.Request.Method ?? string.Empty, VerifiedIdentities.Route(http), rule);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "SPIFFE authorization denied: JWT subject {JwtSpiffeId}, {Method} {Route}, rule {Rule}", EventName = "SpiffeJwtPolicyDenied")]
    private static partial void LogDenied(ILogger logger, string jwtSpiffeId, string method, string route, string rule);
}
