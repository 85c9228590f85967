namespace Mtls.AspNetCore;

/// <summary>The outcome of re-checking a connection's verified peer for a request.</summary>
internal enum SpiffePeerValidity
{
    /// <summary>The peer's SVID is unexpired and still verifies against its trust domain's current bundle.</summary>
    Valid,

    /// <summary>A certificate of the peer's chain has expired since the handshake.</summary>
    Expired,

    /// <summary>The current bundle of the peer's trust domain no longer verifies its chain (or is gone).</summary>
    Revoked,
}
