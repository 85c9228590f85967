using Mtls.X509;

namespace Mtls.Tls;

/// <summary>Why a TLS peer was refused: no certificate, an invalid or untrusted SVID, or an unauthorized ID.</summary>
internal sealed record PeerVerificationFailure(SpiffePeerRefusal Kind, string Message, X509SvidRule? Rule)
{
    /// <summary>A short, stable label for metrics and logs (never includes secrets).</summary>
    internal string Outcome => Kind switch
    {
        SpiffePeerRefusal.NoCertificate => "no_certificate",
        SpiffePeerRefusal.Unauthorized => "unauthorized",
        _ => Rule?.ToString() ?? "invalid_svid",
    };
}
