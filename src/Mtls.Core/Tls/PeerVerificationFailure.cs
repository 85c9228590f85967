using Mtls.X509;

namespace Mtls.Tls;

/// <summary>Why a TLS peer was refused: no certificate, an invalid or untrusted SVID, or an unauthorized ID.</summary>
internal sealed record PeerVerificationFailure(PeerVerificationFailureKind Kind, string Message, X509SvidRule? Rule)
{
    /// <summary>A short, stable label for metrics and logs (never includes secrets).</summary>
    internal string Outcome => Kind switch
    {
        PeerVerificationFailureKind.NoCertificate => "no_certificate",
        PeerVerificationFailureKind.Unauthorized => "unauthorized",
        _ => Rule?.ToString() ?? "invalid_svid",
    };
}

/// <summary>The family of a <see cref="PeerVerificationFailure"/>.</summary>
internal enum PeerVerificationFailureKind
{
    NoCertificate,
    InvalidSvid,
    Unauthorized,
}
