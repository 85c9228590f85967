using Microsoft.AspNetCore.Authorization;
using Mtls.Authorization;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// An authorization requirement met when the subject of the JWT-SVID that <see cref="AuthenticationScheme"/> validated
/// for the request satisfies <see cref="Authorizer"/>.
/// </summary>
public sealed class SpiffeJwtSubjectRequirement : IAuthorizationRequirement
{
    /// <summary>Creates the requirement.</summary>
    public SpiffeJwtSubjectRequirement(Authorizer authorizer, string authenticationScheme)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(authenticationScheme);
        Authorizer = authorizer ?? throw new ArgumentNullException(nameof(authorizer));
        AuthenticationScheme = authenticationScheme;
    }

    /// <summary>Who meets the requirement.</summary>
    public Authorizer Authorizer { get; }

    /// <summary>The JWT-SVID scheme whose validated token counts.</summary>
    public string AuthenticationScheme { get; }

    /// <inheritdoc />
    public override string ToString() => $"SPIFFE JWT subject ({AuthenticationScheme}): {Authorizer}";
}
