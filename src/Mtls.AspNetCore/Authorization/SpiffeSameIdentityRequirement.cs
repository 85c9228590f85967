using Microsoft.AspNetCore.Authorization;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// An authorization requirement met when the request has both a verified mTLS peer and a JWT-SVID that
/// <see cref="AuthenticationScheme"/> validated, and both carry the same SPIFFE ID: the token was presented by the
/// workload it names (no proxy in between, no token passed on).
/// </summary>
public sealed class SpiffeSameIdentityRequirement : IAuthorizationRequirement
{
    /// <summary>Creates the requirement.</summary>
    public SpiffeSameIdentityRequirement(string authenticationScheme)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(authenticationScheme);
        AuthenticationScheme = authenticationScheme;
    }

    /// <summary>The JWT-SVID scheme whose validated token counts.</summary>
    public string AuthenticationScheme { get; }

    /// <inheritdoc />
    public override string ToString() => $"SPIFFE mTLS peer = JWT subject ({AuthenticationScheme})";
}
