namespace Mtls.X509;

/// <summary>The rule of the X509-SVID specification (or of path validation) that a certificate broke.</summary>
public enum X509SvidRule
{
    /// <summary>No certificate was given, or the bytes are not certificates.</summary>
    MalformedCertificate,

    /// <summary>The leaf has <c>cA=true</c>.</summary>
    LeafIsCa,

    /// <summary>The leaf has the keyCertSign key usage.</summary>
    LeafHasKeyCertSign,

    /// <summary>The leaf has the cRLSign key usage.</summary>
    LeafHasCrlSign,

    /// <summary>The leaf lacks the digitalSignature key usage (or has no key usage extension).</summary>
    LeafMissingDigitalSignature,

    /// <summary>The leaf has no URI SAN.</summary>
    NoUriSan,

    /// <summary>The leaf has more than one URI SAN.</summary>
    MultipleUriSans,

    /// <summary>The leaf's URI SAN is not a valid SPIFFE ID.</summary>
    InvalidSpiffeId,

    /// <summary>The leaf's SPIFFE ID has no path (it names a trust domain, which only signing certificates may).</summary>
    RootPathId,

    /// <summary>The leaf's Subject is empty but its SAN extension is not critical.</summary>
    NonCriticalSanWithEmptySubject,

    /// <summary>A signing certificate has <c>cA=false</c> or no basic constraints.</summary>
    SigningCertificateNotCa,

    /// <summary>A signing certificate lacks the keyCertSign key usage.</summary>
    SigningCertificateMissingKeyCertSign,

    /// <summary>A signing certificate carries a SPIFFE ID with a path (a signing certificate's ID names its trust domain).</summary>
    SigningCertificateIdHasPath,

    /// <summary>A certificate of the chain has expired.</summary>
    Expired,

    /// <summary>A certificate of the chain is not valid yet.</summary>
    NotYetValid,

    /// <summary>There is no bundle for the leaf's trust domain.</summary>
    UntrustedTrustDomain,

    /// <summary>The chain does not reach an authority of the bundle of the leaf's trust domain.</summary>
    ChainNotTrusted,

    /// <summary>The private key is missing, unreadable, of an unsupported type, or does not match the leaf.</summary>
    KeyMismatch,

    /// <summary>The chain carries more intermediates than <see cref="SpiffeLimits.MaxSvidIntermediates"/>.</summary>
    TooManyIntermediates,
}
