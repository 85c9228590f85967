namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// A connection-level feature set by the Kestrel part on every connection of an endpoint it covers: the verified peer
/// of an mTLS endpoint, or the exemption of an endpoint opted out by name. A request whose connection lacks it came
/// through an endpoint nobody covered, and is refused.
/// </summary>
internal sealed class SpiffeConnection
{
    private int _closeRequested;

    private SpiffeConnection(SpiffePeerFeature? peer, SpiffeEndpointExemption? exemption, long openedAt)
    {
        Peer = peer;
        Exemption = exemption;
        OpenedAt = openedAt;
    }

    /// <summary>The verified peer; null on an exempt endpoint.</summary>
    internal SpiffePeerFeature? Peer { get; }

    /// <summary>The exemption of the endpoint; null on an mTLS endpoint.</summary>
    internal SpiffeEndpointExemption? Exemption { get; }

    /// <summary>When the connection was accepted, as a <see cref="TimeProvider"/> timestamp.</summary>
    internal long OpenedAt { get; }

    internal static SpiffeConnection ForPeer(SpiffePeerFeature peer, long openedAt) => new(peer, null, openedAt);

    internal static SpiffeConnection ForExemption(SpiffeEndpointExemption exemption, long openedAt) => new(null, exemption, openedAt);

    /// <summary>True the first time it is called: the connection is asked to close once.</summary>
    internal bool TryMarkCloseRequested() => Interlocked.Exchange(ref _closeRequested, 1) == 0;
}
