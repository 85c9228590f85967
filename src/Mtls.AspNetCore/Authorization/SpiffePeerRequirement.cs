using Microsoft.AspNetCore.Authorization;
using Mtls.Authorization;

namespace Mtls.AspNetCore.Authorization;

/// <summary>An authorization requirement met when the verified peer's SPIFFE ID satisfies <see cref="Authorizer"/>.</summary>
public sealed class SpiffePeerRequirement : IAuthorizationRequirement
{
    /// <summary>Creates the requirement.</summary>
    public SpiffePeerRequirement(Authorizer authorizer) =>
        Authorizer = authorizer ?? throw new ArgumentNullException(nameof(authorizer));

    /// <summary>Who meets the requirement.</summary>
    public Authorizer Authorizer { get; }

    /// <inheritdoc />
    public override string ToString() => $"SPIFFE peer: {Authorizer}";
}
