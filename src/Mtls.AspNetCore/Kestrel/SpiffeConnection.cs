namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// A connection-level feature set by the Kestrel part on every connection of an endpoint it covers: the verified peer
/// of an mTLS endpoint, the exemption of an endpoint opted out by name, or the mark of a plaintext connection on a
/// permissive endpoint. A request whose connection lacks it came through an endpoint nobody covered, and is refused.
/// </summary>
internal sealed class SpiffeConnection
{
    private int _closeRequested;

    private SpiffeConnection(SpiffePeerFeature? peer, SpiffeEndpointExemption? exemption, bool isPlaintext, DateTimeOffset openedAt, SpiffeRequestIdentities? identities)
    {
        Peer = peer;
        Exemption = exemption;
        IsPlaintext = isPlaintext;
        OpenedAt = openedAt;
        Identities = identities;
    }

    /// <summary>The verified peer; null on an exempt endpoint and on a plaintext connection.</summary>
    internal SpiffePeerFeature? Peer { get; }

    /// <summary>The exemption of the endpoint; null on an mTLS endpoint.</summary>
    internal SpiffeEndpointExemption? Exemption { get; }

    /// <summary>True for a plaintext connection accepted by a permissive endpoint: it has no peer.</summary>
    internal bool IsPlaintext { get; }

    /// <summary>When the connection was accepted (wall clock, as <see cref="TimeProvider.GetUtcNow"/>: a request reads the clock once for both the peer's expiry and the connection's age).</summary>
    internal DateTimeOffset OpenedAt { get; }

    /// <summary>The identity attributes of the connection's requests; null on an exempt or plaintext connection, or with identities off.</summary>
    internal SpiffeRequestIdentities? Identities { get; }

    internal static SpiffeConnection ForPeer(SpiffePeerFeature peer, DateTimeOffset openedAt, SpiffeRequestIdentities? identities) => new(peer, null, false, openedAt, identities);

    internal static SpiffeConnection ForExemption(SpiffeEndpointExemption exemption, DateTimeOffset openedAt) => new(null, exemption, false, openedAt, null);

    internal static SpiffeConnection ForPlaintext(DateTimeOffset openedAt) => new(null, null, true, openedAt, null);

    /// <summary>True the first time it is called: the connection is asked to close once.</summary>
    internal bool TryMarkCloseRequested() => Interlocked.Exchange(ref _closeRequested, 1) == 0;
}
