using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Mtls.AspNetCore.Authentication;
using Mtls.Identity;

namespace Mtls.AspNetCore;

/// <summary>
/// The verified peer of one connection. Its principal and authentication result are built once per connection,
/// not per request: every request on the connection comes from the same verified peer.
/// </summary>
internal sealed class SpiffePeerFeature(SpiffeId id) : ISpiffePeerFeature
{
    private ClaimsPrincipal? _principal;
    private CachedResult? _result;

    public SpiffeId Id { get; } = id;

    /// <summary>The peer as the request's user, of the <c>Spiffe</c> scheme.</summary>
    internal ClaimsPrincipal Principal => _principal ??= SpiffePrincipal.Create(Id, SpiffeAuthenticationDefaults.AuthenticationScheme);

    /// <summary>The authentication result for <paramref name="scheme"/>, reused while the scheme stays the same.</summary>
    internal AuthenticateResult GetResult(string scheme)
    {
        // HTTP/2 requests of one connection may race here; both build equivalent results and a reference swap is atomic.
        if (_result is { } cached && cached.Scheme == scheme)
        {
            return cached.Result;
        }

        var principal = scheme == SpiffeAuthenticationDefaults.AuthenticationScheme ? Principal : SpiffePrincipal.Create(Id, scheme);
        var result = AuthenticateResult.Success(new AuthenticationTicket(principal, scheme));
        _result = new CachedResult(scheme, result);
        return result;
    }

    private sealed record CachedResult(string Scheme, AuthenticateResult Result);
}
