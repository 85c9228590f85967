using Mtls.Authorization;

namespace Mtls.AspNetCore.Authorization;

/// <summary>Builds the authorizer admitting members of any of several trust domains.</summary>
internal static class TrustDomainAuthorizer
{
    /// <summary>Members of any of <paramref name="trustDomains"/>, or null when there is none.</summary>
    /// <exception cref="Identity.InvalidSpiffeIdException">A trust domain name is malformed.</exception>
    internal static Authorizer? MemberOfAny(IEnumerable<string> trustDomains) =>
        trustDomains.Select(Authorizer.MemberOf).Aggregate((Authorizer?)null, (all, one) => all is null ? one : all.Or(one));
}
