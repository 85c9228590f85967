using Mtls.Identity;

namespace Mtls.Authorization;

/// <summary>
/// One rule of a <see cref="PeerAccessPolicy"/>, with the semantics of Istio's AuthorizationPolicy: it matches a
/// request when every condition it sets matches (an unset list is no condition), a list matches when any of its
/// values does, and a <c>not</c> list matches when none of its values does. Principals are SPIFFE IDs or
/// <see cref="SpiffeIdPattern"/>s (<c>spiffe://prod.example/ns/*/sa/web</c>, <c>spiffe://prod.example/**</c>), or
/// <c>*</c> for any verified peer. As in Istio, a request without a verified peer is compared as an empty principal:
/// <c>principals</c> never matches it (<c>*</c> included) and <c>notPrincipals</c> always does, so a DENY rule with
/// <c>notPrincipals: ["*"]</c> denies every request without mTLS. Paths and methods are exact, prefix
/// (<c>/api/*</c>), suffix (<c>*/health</c>) or <c>*</c>, ignoring case; paths are matched in the form
/// <see cref="RequestPath.TryNormalize"/> gives. Immutable; matching does not allocate.
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
    /// <param name="principals">Peers the rule applies to (null or empty: any request; never a request without a verified peer).</param>
    /// <param name="notPrincipals">Peers the rule does not apply to (a request without a verified peer is never one of them).</param>
    /// <param name="paths">Request paths the rule applies to, matched against normalised paths.</param>
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

    /// <summary>
    /// True when the rule matches a request from <paramref name="peer"/> (null: no verified peer) for
    /// <paramref name="path"/>, normalised by <see cref="RequestPath.TryNormalize"/>.
    /// </summary>
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

        // Istio compares a request without a verified peer as an empty principal: no value, '*' included, matches
        // it, so a principals list never holds and a notPrincipals list always does.
        return (_principals.Length == 0 || (peer is not null && AnyPrincipal(_principals, peer)))
            && (_notPrincipals.Length == 0 || peer is null || !AnyPrincipal(_notPrincipals, peer));
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
        values is null ? [] : [.. values.Select(v => ParsePrincipal(v, what))];

    private static SpiffeIdPattern? ParsePrincipal(string value, string what)
    {
        if (value == "*")
        {
            return null;
        }

        if (!SpiffeIdPattern.TryParse(value, out var pattern))
        {
            throw new ArgumentException($"{what} '{value}' is not a SPIFFE ID, a SPIFFE ID pattern or '*'", nameof(value));
        }

        // 'spiffe://td' is the trust domain's own ID, which only signing certificates carry: as a pattern it would
        // match no peer, and a DENY meant for the whole trust domain would silently deny nothing.
        if (value.IndexOf('/', SpiffeIdParser.Scheme.Length) < 0)
        {
            throw new ArgumentException(
                $"{what} '{value}' is a trust domain ID, which no peer presents: write '{value}/**' for every ID of trust domain {pattern.TrustDomain}",
                nameof(value));
        }

        return pattern;
    }

    private static PeerAccessPattern[] ParsePaths(IEnumerable<string>? values, string what) =>
        values is null
            ? []
            : [.. values.Select(v => v is not null && !v.StartsWith('/') && !v.StartsWith('*')
                ? throw new ArgumentException($"{what} '{v}' must start with '/' or '*'", nameof(values))
                : PeerAccessPattern.ParsePath(v!, what))];
}
