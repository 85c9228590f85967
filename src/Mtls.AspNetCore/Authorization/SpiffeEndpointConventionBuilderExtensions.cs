using Microsoft.AspNetCore.Builder;
using Mtls.Authorization;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Endpoint conventions restricting an endpoint (minimal API, controller, gRPC service) to SPIFFE callers: the mTLS
/// peer by default, or the identity a <see cref="SpiffeIdentity"/> argument names.
/// </summary>
public static class SpiffeEndpointConventionBuilderExtensions
{
    /// <summary>Only peers with one of <paramref name="ids"/> may call the endpoint; others get 403.</summary>
    public static TBuilder RequireSpiffeId<TBuilder>(this TBuilder builder, params string[] ids)
        where TBuilder : IEndpointConventionBuilder
    {
        var authorizer = Authorizer.OneOf(ids);
        return builder.RequireAuthorization(policy => policy.RequireSpiffePeer(authorizer));
    }

    /// <summary>Only peers of one of <paramref name="trustDomains"/> may call the endpoint.</summary>
    public static TBuilder RequireTrustDomain<TBuilder>(this TBuilder builder, params string[] trustDomains)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.RequireTrustDomain(trustDomains));

    /// <summary>Only peers matching <paramref name="pattern"/> may call the endpoint.</summary>
    public static TBuilder RequireSpiffeIdMatching<TBuilder>(this TBuilder builder, string pattern)
        where TBuilder : IEndpointConventionBuilder
    {
        var authorizer = Authorizer.Matching(pattern);
        return builder.RequireAuthorization(policy => policy.RequireSpiffePeer(authorizer));
    }

    /// <summary>Only peers <paramref name="authorizer"/> allows may call the endpoint.</summary>
    public static TBuilder RequireSpiffePeer<TBuilder>(this TBuilder builder, Authorizer authorizer)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(authorizer);
        return builder.RequireAuthorization(policy => policy.RequireSpiffePeer(authorizer));
    }

    /// <summary>Only requests whose <paramref name="identity"/> is one of <paramref name="ids"/> may call the endpoint.</summary>
    public static TBuilder RequireSpiffeId<TBuilder>(this TBuilder builder, SpiffeIdentity identity, params string[] ids)
        where TBuilder : IEndpointConventionBuilder
    {
        var authorizer = Authorizer.OneOf(ids);
        return builder.RequireAuthorization(policy => policy.RequireSpiffeIdentity(identity, authorizer));
    }

    /// <summary>Only requests whose <paramref name="identity"/> belongs to one of <paramref name="trustDomains"/> may call the endpoint.</summary>
    public static TBuilder RequireTrustDomain<TBuilder>(this TBuilder builder, SpiffeIdentity identity, params string[] trustDomains)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.RequireTrustDomain(identity, trustDomains));

    /// <summary>Only requests whose <paramref name="identity"/> matches <paramref name="pattern"/> may call the endpoint.</summary>
    public static TBuilder RequireSpiffeIdMatching<TBuilder>(this TBuilder builder, SpiffeIdentity identity, string pattern)
        where TBuilder : IEndpointConventionBuilder
    {
        var authorizer = Authorizer.Matching(pattern);
        return builder.RequireAuthorization(policy => policy.RequireSpiffeIdentity(identity, authorizer));
    }
}
