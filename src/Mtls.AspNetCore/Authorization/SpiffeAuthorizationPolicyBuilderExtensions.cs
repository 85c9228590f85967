using Microsoft.AspNetCore.Authorization;
using Mtls.AspNetCore.Authentication;
using Mtls.Authorization;
using Mtls.Identity;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Policy requirements on the verified peer's SPIFFE ID. Each also adds the <c>Spiffe</c> authentication scheme to
/// the policy, so that a verified peer that fails the requirement gets 403 (not 401).
/// </summary>
public static class SpiffeAuthorizationPolicyBuilderExtensions
{
    /// <summary>Requires the peer to be one of <paramref name="ids"/>.</summary>
    /// <exception cref="InvalidSpiffeIdException">An ID is malformed.</exception>
    public static AuthorizationPolicyBuilder RequireSpiffeId(this AuthorizationPolicyBuilder builder, params IEnumerable<string> ids) =>
        builder.RequireSpiffePeer(Authorizer.OneOf(ids));

    /// <summary>Requires the peer to be one of <paramref name="ids"/>.</summary>
    public static AuthorizationPolicyBuilder RequireSpiffeId(this AuthorizationPolicyBuilder builder, params IEnumerable<SpiffeId> ids) =>
        builder.RequireSpiffePeer(Authorizer.OneOf(ids));

    /// <summary>Requires the peer to belong to one of <paramref name="trustDomains"/>.</summary>
    /// <exception cref="InvalidSpiffeIdException">A trust domain name is malformed.</exception>
    public static AuthorizationPolicyBuilder RequireTrustDomain(this AuthorizationPolicyBuilder builder, params IEnumerable<string> trustDomains)
    {
        ArgumentNullException.ThrowIfNull(trustDomains);
        var authorizer = TrustDomainAuthorizer.MemberOfAny(trustDomains)
            ?? throw new ArgumentException("at least one trust domain is required", nameof(trustDomains));
        return builder.RequireSpiffePeer(authorizer);
    }

    /// <summary>Requires the peer to match <paramref name="pattern"/>, e.g. <c>spiffe://prod.example/ns/*/sa/web</c>.</summary>
    /// <exception cref="InvalidSpiffeIdException">The pattern is malformed.</exception>
    public static AuthorizationPolicyBuilder RequireSpiffeIdMatching(this AuthorizationPolicyBuilder builder, string pattern) =>
        builder.RequireSpiffePeer(Authorizer.Matching(pattern));

    /// <summary>Requires the peer to satisfy <paramref name="authorizer"/>.</summary>
    public static AuthorizationPolicyBuilder RequireSpiffePeer(this AuthorizationPolicyBuilder builder, Authorizer authorizer)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(authorizer);
        if (!builder.AuthenticationSchemes.Contains(SpiffeAuthenticationDefaults.AuthenticationScheme))
        {
            builder.AddAuthenticationSchemes(SpiffeAuthenticationDefaults.AuthenticationScheme);
        }

        return builder.AddRequirements(new SpiffePeerRequirement(authorizer));
    }
}
