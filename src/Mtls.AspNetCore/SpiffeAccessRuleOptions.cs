using Mtls.Authorization;

namespace Mtls.AspNetCore;

/// <summary>
/// One rule of <c>Spiffe:Authorization:Rules</c>, shaped like a rule of Istio's AuthorizationPolicy; see
/// <see cref="PeerAccessRule"/> for the matching semantics.
/// </summary>
public sealed class SpiffeAccessRuleOptions
{
    /// <summary>The rule's name, reported in logs and metrics (default <c>rule-N</c>).</summary>
    public string? Name { get; set; }

    /// <summary><c>Allow</c>, <c>Deny</c> or <c>Audit</c>. Required.</summary>
    public PeerAccessAction? Action { get; set; }

    /// <summary>
    /// SPIFFE IDs or patterns (<c>spiffe://td/ns/*/sa/web</c>, <c>spiffe://td/**</c> for a whole trust domain) or
    /// <c>*</c> (any verified peer); never matches a request without a verified peer.
    /// </summary>
    public IList<string> Principals { get; } = [];

    /// <summary>SPIFFE IDs or patterns the rule does not apply to; a request without a verified peer is none of them.</summary>
    public IList<string> NotPrincipals { get; } = [];

    /// <summary>
    /// Paths: exact (<c>/api/orders</c>), prefix (<c>/api/*</c>), suffix (<c>*/health</c>) or <c>*</c>, matched
    /// against the normalised request path (see <see cref="RequestPath"/>).
    /// </summary>
    public IList<string> Paths { get; } = [];

    /// <summary>Paths the rule does not apply to.</summary>
    public IList<string> NotPaths { get; } = [];

    /// <summary>HTTP methods, e.g. <c>GET</c>.</summary>
    public IList<string> Methods { get; } = [];

    /// <summary>HTTP methods the rule does not apply to.</summary>
    public IList<string> NotMethods { get; } = [];

    /// <summary>Builds the rule; <paramref name="index"/> names it when <see cref="Name"/> is unset.</summary>
    /// <exception cref="ArgumentException">A value is malformed.</exception>
    internal PeerAccessRule ToRule(int index) => new(
        string.IsNullOrWhiteSpace(Name) ? $"rule-{index}" : Name,
        Action ?? throw new ArgumentException("Action is required (Allow, Deny or Audit)"),
        Principals,
        NotPrincipals,
        Paths,
        NotPaths,
        Methods,
        NotMethods);
}
