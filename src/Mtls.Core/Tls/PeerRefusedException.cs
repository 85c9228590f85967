using System.Security.Authentication;
using Mtls.Identity;

namespace Mtls.Tls;

/// <summary>
/// A client handshake failed because our validation refused the server (not because of the network or the
/// server): carries why, so the transport can surface a typed, non-retryable error.
/// </summary>
internal sealed class PeerRefusedException(PeerVerificationFailure failure, SpiffeId? serverId, string rule, Exception innerException)
    : AuthenticationException(failure.Message, innerException)
{
    internal PeerVerificationFailure Failure { get; } = failure;

    /// <summary>The server's verified SPIFFE ID when only authorization failed; null when its SVID did not verify.</summary>
    internal SpiffeId? ServerId { get; } = serverId;

    /// <summary>The authorizer's description.</summary>
    internal string Rule { get; } = rule;
}
