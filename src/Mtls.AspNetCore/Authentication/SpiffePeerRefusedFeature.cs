namespace Mtls.AspNetCore.Authentication;

/// <summary>
/// Set on a request whose <see cref="SpiffeAuthenticationEvents.OnValidated"/> refused the peer: the SPIFFE
/// requirements then see no peer for that request, whatever the TLS handshake verified.
/// </summary>
internal sealed class SpiffePeerRefusedFeature
{
    internal static readonly SpiffePeerRefusedFeature Instance = new();
}
