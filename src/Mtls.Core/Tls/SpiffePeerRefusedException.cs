using System.Security.Authentication;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Tls;

/// <summary>
/// A TLS handshake was refused because of who the peer is (not because of the network): its SVID did not verify, or
/// its SPIFFE ID is not authorized. Never transient: retrying reaches the same peer with the same identity. The
/// connection is closed before this is thrown.
/// </summary>
public sealed class SpiffePeerRefusedException : AuthenticationException
{
    internal SpiffePeerRefusedException(RefusedPeer refused, string rule, Exception? innerException)
        : base(refused.Failure.Message, innerException)
    {
        Failure = refused.Failure;
        PeerId = refused.Id;
        Rule = rule;
        ChainFromMemory = refused.ChainFromMemory;
    }

    /// <summary>Why the peer was refused.</summary>
    public SpiffePeerRefusal Reason => Failure.Kind;

    /// <summary>The peer's verified SPIFFE ID when only authorization failed; null when its SVID did not verify.</summary>
    public SpiffeId? PeerId { get; }

    /// <summary>The authorizer's rule in words, e.g. <c>id is spiffe://example.org/db</c>.</summary>
    public string Rule { get; }

    /// <summary>The X509-SVID rule the peer's certificate broke, when <see cref="Reason"/> is <see cref="SpiffePeerRefusal.InvalidSvid"/>.</summary>
    public X509SvidRule? SvidRule => Failure.Rule;

    internal PeerVerificationFailure Failure { get; }

    /// <summary>The peer sent its leaf alone (a resumed session) and was checked with the chain of its earlier handshake.</summary>
    internal bool ChainFromMemory { get; }
}
