namespace Mtls.Authorization;

/// <summary>The outcome of <see cref="PeerAccessPolicy.Evaluate"/>. A value type: deciding allocates nothing.</summary>
public readonly record struct PeerAccessDecision
{
    internal PeerAccessDecision(bool isAllowed, PeerAccessRule? rule, PeerAccessRule? auditRule)
    {
        IsAllowed = isAllowed;
        Rule = rule;
        AuditRule = auditRule;
    }

    /// <summary>True when the request may proceed.</summary>
    public bool IsAllowed { get; }

    /// <summary>The DENY or ALLOW rule that decided, or null when the default decided.</summary>
    public PeerAccessRule? Rule { get; }

    /// <summary>The first AUDIT rule that matched, or null.</summary>
    public PeerAccessRule? AuditRule { get; }

    /// <summary>
    /// The name of the deciding rule, or <c>default-deny</c> (no ALLOW rule matched) or <c>default-allow</c> (the
    /// policy has no ALLOW rule).
    /// </summary>
    public string RuleName => Rule?.Name ?? (IsAllowed ? "default-allow" : "default-deny");
}
