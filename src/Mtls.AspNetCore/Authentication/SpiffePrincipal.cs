using System.Security.Claims;
using Mtls.Identity;

namespace Mtls.AspNetCore.Authentication;

/// <summary>The claims of a verified peer: one place, shared by the authentication handler and the request pipeline.</summary>
internal static class SpiffePrincipal
{
    internal static ClaimsPrincipal Create(SpiffeId id, string scheme, string issuer)
    {
        string value = id.ToString();
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, value, ClaimValueTypes.String, issuer),
                new Claim(ClaimTypes.Name, value, ClaimValueTypes.String, issuer),
                new Claim(SpiffeClaimTypes.SpiffeId, value, ClaimValueTypes.String, issuer),
                new Claim(SpiffeClaimTypes.TrustDomain, id.TrustDomain.Name, ClaimValueTypes.String, issuer),
                new Claim(SpiffeClaimTypes.Path, id.Path, ClaimValueTypes.String, issuer),
            ],
            scheme);
        return new ClaimsPrincipal(identity);
    }
}
