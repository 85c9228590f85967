using Mtls.Identity;

namespace Mtls.AspNetCore;

/// <summary>
/// The verified SPIFFE ID of the peer of an mTLS connection, set on the connection's features once the handshake
/// has verified the peer's SVID chain; visible from every request on that connection. Absent on a connection that
/// did not go through <c>UseSpiffeMtls</c>.
/// </summary>
public interface ISpiffePeerFeature
{
    /// <summary>The peer's SPIFFE ID.</summary>
    SpiffeId Id { get; }
}
