namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// A connection-level feature set by the Kestrel part on every connection of an endpoint it covers: the verified peer
/// of an mTLS endpoint, the exemption of an endpoint opted out by name, or the mark of a plaintext connection on a
/// permissive endpoint. A request whose connection lacks it came through an endpoint nobody covered, and is refused.
/// </summary>
internal sealed class SpiffeConnection
{
    private int _closeRequested;

    private SpiffeConnection(SpiffePeerFeature? peer, SpiffeEndpointExemption? exemption, bool isPlaintext, long openedAt)
    {
        Peer = peer;
        Exemption = exemption;
        IsPlaintext = isPlaintext;
        OpenedAt = openedAt;
    }

    /// <summary>The verified peer; null on an exempt endpoint and on a plaintext connection.</summary>
    internal SpiffePeerFeature? Peer { get; }

    /// <summary>The exemption of the endpoint; null on an mTLS endpoint.</summary>
    internal SpiffeEndpointExemption? Exemption { get; }

    /// <summary>True for a plaintext connection accepted by a permissive endpoint: it has no peer.</summary>
    internal bool IsPlaintext { get; }

    /// <summary>When the connection was accepted, as a <see cref="TimeProvider"/> timestamp.</summary>
    internal long OpenedAt { get; }

    internal static SpiffeConnection ForPeer(SpiffePeerFeature peer, long openedAt) => new(peer, null, false, openedAt);

    internal static SpiffeConnection ForExemption(SpiffeEndpointExemption exemption, long openedAt) => new(null, exemption, false, openedAt);

    internal static SpiffeConnection ForPlaintext(long openedAt) => new(null, null, true, openedAt);

    /// <summary>True the first time it is called: the connection is asked to close once.</summary>
    internal bool TryMarkCloseRequested() => Interlocked.Exchange(ref _closeRequested, 1) == 0;
}
