using Microsoft.AspNetCore.Authorization;
using Mtls.AspNetCore.Authentication;
using Mtls.Authorization;
using Mtls.Identity;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Policy requirements on a verified SPIFFE ID. Without a <see cref="SpiffeIdentity"/> argument they read the mTLS
/// peer; with one, the identity it names: the mTLS peer (<c>Spiffe</c> scheme) or the subject of the JWT-SVID the
/// <c>SpiffeJwt</c> scheme validated. Each adds its scheme to the policy, so that a verified caller that fails the
/// requirement gets 403 (not 401). A policy may demand both identities, and with
/// <see cref="RequireSameSpiffeIdentity"/> that they are the same.
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

    /// <summary>Requires <paramref name="identity"/> to be one of <paramref name="ids"/>.</summary>
    /// <exception cref="InvalidSpiffeIdException">An ID is malformed.</exception>
    public static AuthorizationPolicyBuilder RequireSpiffeId(this AuthorizationPolicyBuilder builder, SpiffeIdentity identity, params IEnumerable<string> ids) =>
        builder.RequireSpiffeIdentity(identity, Authorizer.OneOf(ids));

    /// <summary>Requires <paramref name="identity"/> to belong to one of <paramref name="trustDomains"/>.</summary>
    /// <exception cref="InvalidSpiffeIdException">A trust domain name is malformed.</exception>
    public static AuthorizationPolicyBuilder RequireTrustDomain(this AuthorizationPolicyBuilder builder, SpiffeIdentity identity, params IEnumerable<string> trustDomains)
    {
        ArgumentNullException.ThrowIfNull(trustDomains);
        var authorizer = TrustDomainAuthorizer.MemberOfAny(trustDomains)
            ?? throw new ArgumentException("at least one trust domain is required", nameof(trustDomains));
        return builder.RequireSpiffeIdentity(identity, authorizer);
    }

    /// <summary>Requires <paramref name="identity"/> to match <paramref name="pattern"/>, e.g. <c>spiffe://prod.example/ns/*/sa/web</c>.</summary>
    /// <exception cref="InvalidSpiffeIdException">The pattern is malformed.</exception>
    public static AuthorizationPolicyBuilder RequireSpiffeIdMatching(this AuthorizationPolicyBuilder builder, SpiffeIdentity identity, string pattern) =>
        builder.RequireSpiffeIdentity(identity, Authorizer.Matching(pattern));

    /// <summary>
    /// Requires <paramref name="identity"/> to satisfy <paramref name="authorizer"/>. For <see cref="SpiffeIdentity.JwtSubject"/>
    /// the token must have been validated by <paramref name="jwtScheme"/> (default <c>SpiffeJwt</c>), which is added to the policy.
    /// </summary>
    public static AuthorizationPolicyBuilder RequireSpiffeIdentity(
        this AuthorizationPolicyBuilder builder,
        SpiffeIdentity identity,
        Authorizer authorizer,
        string jwtScheme = SpiffeJwtAuthenticationDefaults.AuthenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(authorizer);
        switch (identity)
        {
            case SpiffeIdentity.MtlsPeer:
                return builder.RequireSpiffePeer(authorizer);
            case SpiffeIdentity.JwtSubject:
                ArgumentException.ThrowIfNullOrWhiteSpace(jwtScheme);
                AddScheme(builder, jwtScheme);
                return builder.AddRequirements(new SpiffeJwtSubjectRequirement(authorizer, jwtScheme));
            default:
                throw new ArgumentOutOfRangeException(nameof(identity), identity, "Not a SPIFFE identity.");
        }
    }

    /// <summary>
    /// Requires a verified mTLS peer and a JWT-SVID validated by <paramref name="jwtScheme"/> with the same SPIFFE ID
    /// (the token was presented by the workload it names, not passed on by a proxy). Adds both schemes to the policy.
    /// </summary>
    public static AuthorizationPolicyBuilder RequireSameSpiffeIdentity(this AuthorizationPolicyBuilder builder, string jwtScheme = SpiffeJwtAuthenticationDefaults.AuthenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(jwtScheme);
        AddScheme(builder, SpiffeAuthenticationDefaults.AuthenticationScheme);
        AddScheme(builder, jwtScheme);
        return builder.AddRequirements(new SpiffeSameIdentityRequirement(jwtScheme));
    }

    private static void AddScheme(AuthorizationPolicyBuilder builder, string scheme)
    {
        if (!builder.AuthenticationSchemes.Contains(scheme))
        {
            builder.AddAuthenticationSchemes(scheme);
        }
    }
}
