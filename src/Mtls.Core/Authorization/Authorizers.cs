using System.Collections.Frozen;
using Mtls.Identity;

namespace Mtls.Authorization;

internal sealed class AnyAuthorizer : Authorizer
{
    internal static readonly AnyAuthorizer Instance = new();

    public override bool IsAuthorized(SpiffeId peer) => peer is not null;

    public override string ToString() => "any SPIFFE ID";
}

internal sealed class IdAuthorizer(SpiffeId id) : Authorizer
{
    public override bool IsAuthorized(SpiffeId peer) => id.Equals(peer);

    public override string ToString() => $"id is {id}";
}

internal sealed class OneOfAuthorizer : Authorizer
{
    private readonly FrozenSet<SpiffeId> _ids;

    internal OneOfAuthorizer(IEnumerable<SpiffeId> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        _ids = ids.ToFrozenSet();
        if (_ids.Count == 0)
        {
            throw new ArgumentException("at least one SPIFFE ID is required", nameof(ids));
        }
    }

    public override bool IsAuthorized(SpiffeId peer) => peer is not null && _ids.Contains(peer);

    public override string ToString() => $"id is one of [{string.Join(", ", _ids.Order())}]";
}

internal sealed class MemberOfAuthorizer(TrustDomain trustDomain) : Authorizer
{
    public override bool IsAuthorized(SpiffeId peer) => peer is not null && peer.IsMemberOf(trustDomain);

    public override string ToString() => $"member of trust domain {trustDomain}";
}

internal sealed class PatternAuthorizer(SpiffeIdPattern pattern) : Authorizer
{
    public override bool IsAuthorized(SpiffeId peer) => peer is not null && pattern.IsMatch(peer);

    public override string ToString() => $"id matches {pattern}";
}

internal sealed class PredicateAuthorizer(Func<SpiffeId, bool> predicate, string description) : Authorizer
{
    public override bool IsAuthorized(SpiffeId peer) => peer is not null && predicate(peer);

    public override string ToString() => description;
}

internal sealed class AllOfAuthorizer(Authorizer left, Authorizer right) : Authorizer
{
    public override bool IsAuthorized(SpiffeId peer) => left.IsAuthorized(peer) && right.IsAuthorized(peer);

    public override string ToString() => $"({left}) and ({right})";
}

internal sealed class AnyOfAuthorizer(Authorizer left, Authorizer right) : Authorizer
{
    public override bool IsAuthorized(SpiffeId peer) => left.IsAuthorized(peer) || right.IsAuthorized(peer);

    public override string ToString() => $"({left}) or ({right})";
}
