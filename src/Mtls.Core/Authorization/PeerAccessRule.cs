using Mtls.Identity;

namespace Mtls.Authorization;

/// <summary>
/// One rule of a <see cref="PeerAccessPolicy"/>, modelled on Istio's AuthorizationPolicy: it matches a request
/// when every condition it sets matches (an unset list is no condition), and a list matches when any of its values
/// does. Principals are SPIFFE IDs or <see cref="SpiffeIdPattern"/>s (<c>spiffe://prod.example/ns/*/sa/web</c>),
/// or <c>*</c> for any verified peer; a request without a verified peer matches no rule that names principals.
/// Paths and methods are exact, prefix (<c>/api/*</c>), suffix (<c>*/health</c>) or <c>*</c>, ignoring case.
/// Immutable; matching does not allocate.
/// </summary>
public sealed class PeerAccessRule
{
    private readonly SpiffeIdPattern?[] _principals;
    private readonly SpiffeIdPattern?[] _notPrincipals;
    private readonly PeerAccessPattern[] _paths;
    private readonly PeerAccessPattern[] _notPaths;
    private readonly MethodCondition _methods;
    private readonly MethodCondition _notMethods;

    /// <summary>Creates a rule.</summary>
    /// <param name="name">The rule's name, reported in decisions, logs and metrics.</param>
    /// <param name="action">What the rule does when it matches.</param>
    /// <param name="principals">Peers the rule applies to (null or empty: any request).</param>
    /// <param name="notPrincipals">Peers the rule does not apply to.</param>
    /// <param name="paths">Request paths the rule applies to.</param>
    /// <param name="notPaths">Request paths the rule does not apply to.</param>
    /// <param name="methods">HTTP methods the rule applies to.</param>
    /// <param name="notMethods">HTTP methods the rule does not apply to.</param>
    /// <exception cref="ArgumentException">A value is malformed; the message names it.</exception>
    public PeerAccessRule(
        string name,
        PeerAccessAction action,
        IEnumerable<string>? principals = null,
        IEnumerable<string>? notPrincipals = null,
        IEnumerable<string>? paths = null,
        IEnumerable<string>? notPaths = null,
        IEnumerable<string>? methods = null,
        IEnumerable<string>? notMethods = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!Enum.IsDefined(action))
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "unknown action");
        }

        Name = name;
        Action = action;
        _principals = ParsePrincipals(principals, "principal");
        _notPrincipals = ParsePrincipals(notPrincipals, "notPrincipal");
        _paths = ParsePaths(paths, "path");
        _notPaths = ParsePaths(notPaths, "notPath");
        _methods = MethodCondition.Parse(methods, "method");
        _notMethods = MethodCondition.Parse(notMethods, "notMethod");
    }

    /// <summary>The rule's name.</summary>
    public string Name { get; }

    /// <summary>What the rule does when it matches.</summary>
    public PeerAccessAction Action { get; }

    /// <summary>True when the rule matches a request from <paramref name="peer"/> (null: no verified peer).</summary>
    public bool IsMatch(SpiffeId? peer, ReadOnlySpan<char> method, ReadOnlySpan<char> path) =>
        IsMatch(peer, MethodCondition.BitOf(method), method, path);

    /// <summary>Like the public overload, with the method already classified once for the whole policy.</summary>
    internal bool IsMatch(SpiffeId? peer, int methodBit, ReadOnlySpan<char> method, ReadOnlySpan<char> path)
    {
        // Every condition must hold, so the order is free: the cheap method and path checks go first, and most
        // rules are rejected before a principal pattern is walked.
        if ((!_methods.IsEmpty && !_methods.IsMatch(methodBit, method))
            || (!_notMethods.IsEmpty && _notMethods.IsMatch(methodBit, method))
            || (_paths.Length > 0 && !Any(_paths, path))
            || Any(_notPaths, path))
        {
            return false;
        }

        return (_principals.Length == 0 || (peer is not null && AnyPrincipal(_principals, peer)))
            && (_notPrincipals.Length == 0 || (peer is not null && !AnyPrincipal(_notPrincipals, peer)));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Action} rule '{Name}'";

    private static bool AnyPrincipal(SpiffeIdPattern?[] patterns, SpiffeId peer)
    {
        foreach (var pattern in patterns)
        {
            // A null entry stands for '*': any verified peer.
            if (pattern is null || pattern.IsMatch(peer))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Any(PeerAccessPattern[] patterns, ReadOnlySpan<char> value)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.IsMatch(value))
            {
                return true;
            }
        }

        return false;
    }

    private static SpiffeIdPattern?[] ParsePrincipals(IEnumerable<string>? values, string what) =>
        values is null
            ? []
            : [.. values.Select(v => v == "*" ? null : SpiffeIdPattern.TryParse(v, out var pattern)
                ? pattern
                : throw new ArgumentException($"{what} '{v}' is not a SPIFFE ID, a SPIFFE ID pattern or '*'", nameof(values)))];

    private static PeerAccessPattern[] ParsePaths(IEnumerable<string>? values, string what) =>
        values is null
            ? []
            : [.. values.Select(v => v is not null && !v.StartsWith('/') && !v.StartsWith('*')
                ? throw new ArgumentException($"{what} '{v}' must start with '/' or '*'", nameof(values))
                : PeerAccessPattern.Parse(v!, what))];
}
