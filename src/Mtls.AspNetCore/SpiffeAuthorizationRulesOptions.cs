using Mtls.Authorization;

namespace Mtls.AspNetCore;

/// <summary>The declarative rule set of <c>Spiffe:Authorization</c>, applied to every request before routing.</summary>
public sealed class SpiffeAuthorizationRulesOptions
{
    /// <summary>The rules; DENY before ALLOW, default deny once any ALLOW rule exists, AUDIT only reports.</summary>
    public IList<SpiffeAccessRuleOptions> Rules { get; } = [];

    /// <summary>Compiles the rules into a policy.</summary>
    /// <exception cref="ArgumentException">A rule is malformed.</exception>
    internal PeerAccessPolicy ToPolicy() => new(Rules.Select((rule, i) => rule.ToRule(i)));
}
