using System.Security.Claims;
using Mtls.Identity;

namespace Mtls.AspNetCore.Authentication;

/// <summary>The claims of a verified peer: one place, shared by the authentication handler and the request pipeline.</summary>
internal static class SpiffePrincipal
{
    /// <summary>The peer as a principal of <paramref name="scheme"/>, which is also the claims' issuer.</summary>
    internal static ClaimsPrincipal Create(SpiffeId id, string scheme)
    {
        string value = id.ToString();
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, value, ClaimValueTypes.String, scheme),
                new Claim(ClaimTypes.Name, value, ClaimValueTypes.String, scheme),
                new Claim(SpiffeClaimTypes.SpiffeId, value, ClaimValueTypes.String, scheme),
                new Claim(SpiffeClaimTypes.TrustDomain, id.TrustDomain.Name, ClaimValueTypes.String, scheme),
                new Claim(SpiffeClaimTypes.Path, id.Path, ClaimValueTypes.String, scheme),
            ],
            scheme);
        return new ClaimsPrincipal(identity);
    }
}
