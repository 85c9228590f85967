using System.Net.Security;
using Mtls.Identity;

namespace Mtls.Tls;

/// <summary>Reads what a SPIFFE handshake verified from an <see cref="SslStream"/>.</summary>
public static class SslStreamSpiffeExtensions
{
    /// <summary>
    /// The peer's SPIFFE ID, verified against the bundle of its trust domain and admitted by the authorizer, when
    /// <paramref name="stream"/> completed a handshake with options from <see cref="SpiffeTlsServer"/> or
    /// <see cref="SpiffeTlsClient"/>; null for any other stream, or before the handshake completed.
    /// </summary>
    public static SpiffeId? GetSpiffePeerId(this SslStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return stream.IsAuthenticated ? VerifiedPeer.Of(stream)?.Id : null;
    }
}
