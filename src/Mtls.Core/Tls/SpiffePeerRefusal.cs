namespace Mtls.Tls;

/// <summary>Why a TLS peer was refused.</summary>
public enum SpiffePeerRefusal
{
    /// <summary>The peer presented no certificate.</summary>
    NoCertificate,

    /// <summary>The peer's X509-SVID did not verify against the bundle of its trust domain (see <see cref="SpiffePeerRefusedException.SvidRule"/>).</summary>
    InvalidSvid,

    /// <summary>The peer's SVID verified, but the authorizer does not admit its SPIFFE ID.</summary>
    Unauthorized,
}
