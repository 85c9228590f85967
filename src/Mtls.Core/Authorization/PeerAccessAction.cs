namespace Mtls.Authorization;

/// <summary>What a <see cref="PeerAccessRule"/> does when it matches a request (Istio AuthorizationPolicy's actions).</summary>
public enum PeerAccessAction
{
    /// <summary>Allows the request. Once a policy has any ALLOW rule, a request no ALLOW rule matches is denied.</summary>
    Allow,

    /// <summary>Denies the request; evaluated before every ALLOW rule.</summary>
    Deny,

    /// <summary>Records that the request matched, without changing the decision.</summary>
    Audit,
}
