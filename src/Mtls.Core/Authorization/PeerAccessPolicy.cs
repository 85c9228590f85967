using Mtls.Identity;

namespace Mtls.Authorization;

/// <summary>
/// A declarative rule set deciding which peer may call which path and method, evaluated like Istio's
/// AuthorizationPolicy: a matching DENY rule denies; otherwise, when the policy has no ALLOW rule the request is
/// allowed, and when it has any, the request is allowed only if an ALLOW rule matches (default deny). AUDIT rules
/// never change the decision; the first that matches is reported with it. Immutable, thread-safe, and
/// allocation-free per decision.
/// </summary>
public sealed class PeerAccessPolicy
{
    private readonly PeerAccessRule[] _deny;
    private readonly PeerAccessRule[] _allow;
    private readonly PeerAccessRule[] _audit;

    /// <summary>Creates a policy from <paramref name="rules"/> (their order matters only within an action).</summary>
    public PeerAccessPolicy(IEnumerable<PeerAccessRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var all = rules.ToArray();
        if (Array.Exists(all, r => r is null))
        {
            throw new ArgumentException("rules must not contain null", nameof(rules));
        }

        Rules = all;
        _deny = Array.FindAll(all, r => r.Action == PeerAccessAction.Deny);
        _allow = Array.FindAll(all, r => r.Action == PeerAccessAction.Allow);
        _audit = Array.FindAll(all, r => r.Action == PeerAccessAction.Audit);
    }

    /// <summary>A policy without rules: allows every request.</summary>
    public static PeerAccessPolicy Empty { get; } = new([]);

    /// <summary>The rules, in the order given.</summary>
    public IReadOnlyList<PeerAccessRule> Rules { get; }

    /// <summary>True when the policy has no rule (every request is allowed and nothing is audited).</summary>
    public bool IsEmpty => Rules.Count == 0;

    /// <summary>
    /// Decides a request from <paramref name="peer"/> (null: no verified peer) for <paramref name="path"/>, which
    /// must be normalised by <see cref="RequestPath.TryNormalize"/> (a request it refuses must not be decided: refuse it).
    /// </summary>
    public PeerAccessDecision Evaluate(SpiffeId? peer, ReadOnlySpan<char> method, ReadOnlySpan<char> path)
    {
        int methodBit = MethodCondition.BitOf(method);
        var audit = FirstMatch(_audit, peer, methodBit, method, path);
        var deny = FirstMatch(_deny, peer, methodBit, method, path);
        if (deny is not null)
        {
            return new PeerAccessDecision(false, deny, audit);
        }

        if (_allow.Length == 0)
        {
            return new PeerAccessDecision(true, null, audit);
        }

        var allow = FirstMatch(_allow, peer, methodBit, method, path);
        return new PeerAccessDecision(allow is not null, allow, audit);
    }

    private static PeerAccessRule? FirstMatch(PeerAccessRule[] rules, SpiffeId? peer, int methodBit, ReadOnlySpan<char> method, ReadOnlySpan<char> path)
    {
        foreach (var rule in rules)
        {
            if (rule.IsMatch(peer, methodBit, method, path))
            {
                return rule;
            }
        }

        return null;
    }
}
