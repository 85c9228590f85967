using Mtls.Identity;

namespace Mtls.Authorization;

/// <summary>
/// Decides whether a verified peer SPIFFE ID may talk to us (go-spiffe's <c>tlsconfig.Authorizer</c> vocabulary).
/// Authorizers are immutable, thread-safe and allocation-free per decision; compose them with <see cref="And"/>
/// and <see cref="Or"/>. <see cref="ToString"/> describes the rule, for errors and logs.
/// </summary>
public abstract class Authorizer
{
    /// <summary>True when <paramref name="peer"/> is allowed.</summary>
    public abstract bool IsAuthorized(SpiffeId peer);

    /// <summary>The rule in words, e.g. <c>id is spiffe://example.org/web</c>.</summary>
    public abstract override string ToString();

    /// <summary>Allows any verified peer (its chain still has to verify against the bundle).</summary>
    public static Authorizer Any() => AnyAuthorizer.Instance;

    /// <summary>Allows exactly <paramref name="id"/>.</summary>
    public static Authorizer Id(SpiffeId id) => new IdAuthorizer(id ?? throw new ArgumentNullException(nameof(id)));

    /// <summary>Allows exactly the ID <paramref name="id"/>, parsed.</summary>
    /// <exception cref="InvalidSpiffeIdException"><paramref name="id"/> is not a SPIFFE ID.</exception>
    public static Authorizer Id(string id) => Id(SpiffeId.Parse(id));

    /// <summary>Allows any of <paramref name="ids"/>.</summary>
    public static Authorizer OneOf(params IEnumerable<SpiffeId> ids) => new OneOfAuthorizer(ids);

    /// <summary>Allows any of <paramref name="ids"/>, parsed.</summary>
    public static Authorizer OneOf(params IEnumerable<string> ids) => new OneOfAuthorizer(ids.Select(SpiffeId.Parse));

    /// <summary>Allows every ID of <paramref name="trustDomain"/>.</summary>
    public static Authorizer MemberOf(TrustDomain trustDomain) =>
        new MemberOfAuthorizer(trustDomain ?? throw new ArgumentNullException(nameof(trustDomain)));

    /// <summary>Allows every ID of the trust domain named <paramref name="trustDomain"/>.</summary>
    public static Authorizer MemberOf(string trustDomain) => MemberOf(TrustDomain.Parse(trustDomain));

    /// <summary>Allows IDs matching <paramref name="pattern"/>, e.g. <c>spiffe://prod.example/ns/*/sa/web</c>.</summary>
    public static Authorizer Matching(SpiffeIdPattern pattern) =>
        new PatternAuthorizer(pattern ?? throw new ArgumentNullException(nameof(pattern)));

    /// <summary>Allows IDs matching the parsed <paramref name="pattern"/>.</summary>
    public static Authorizer Matching(string pattern) => Matching(SpiffeIdPattern.Parse(pattern));

    /// <summary>Allows IDs for which <paramref name="predicate"/> is true; <paramref name="description"/> names the rule.</summary>
    public static Authorizer Matching(Func<SpiffeId, bool> predicate, string description) =>
        new PredicateAuthorizer(predicate ?? throw new ArgumentNullException(nameof(predicate)), description ?? throw new ArgumentNullException(nameof(description)));

    /// <summary>Allows a peer only when both this and <paramref name="other"/> allow it.</summary>
    public Authorizer And(Authorizer other) => new AllOfAuthorizer(this, other ?? throw new ArgumentNullException(nameof(other)));

    /// <summary>Allows a peer when this or <paramref name="other"/> allows it.</summary>
    public Authorizer Or(Authorizer other) => new AnyOfAuthorizer(this, other ?? throw new ArgumentNullException(nameof(other)));
}
