using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Routing;
using Mtls.AspNetCore.Authentication;
using Mtls.Identity;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// The only places the SPIFFE requirements read identities from: the Kestrel part's verified peer of the connection
/// and the JWT-SVID scheme's record of the tokens it validated. Never a claim, never the user being authorized.
/// </summary>
internal static class VerifiedIdentities
{
    /// <summary>The request being authorized: the resource endpoint routing and MVC pass, else the app's accessor (if it registered one).</summary>
    internal static HttpContext? Request(AuthorizationHandlerContext context, IHttpContextAccessor? accessor) => context.Resource switch
    {
        HttpContext request => request,
        AuthorizationFilterContext filter => filter.HttpContext,
        _ => accessor?.HttpContext,
    };

    /// <summary>The verified mTLS peer, unless the <c>Spiffe</c> scheme's <c>OnValidated</c> refused it for this request.</summary>
    internal static SpiffeId? Peer(HttpContext? http) =>
        http?.Features.Get<SpiffePeerRefusedFeature>() is null
            ? (http?.Features.Get<ISpiffePeerFeature>() as SpiffePeerFeature)?.Id
            : null;

    /// <summary>The subject of the JWT-SVID <paramref name="scheme"/> validated for the request.</summary>
    internal static SpiffeId? JwtSubject(HttpContext? http, string scheme) => SpiffeJwtSubjectFeature.Get(http, scheme)?.Id;

    /// <summary>The route (or path) for log lines.</summary>
    internal static string Route(HttpContext? http) =>
        http is null ? string.Empty : (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value ?? string.Empty;
}
