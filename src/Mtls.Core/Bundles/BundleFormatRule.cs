namespace Mtls.Bundles;

/// <summary>The rule of the SPIFFE bundle format (or of RFC 7517 JWK Sets) that a bundle document broke.</summary>
public enum BundleFormatRule
{
    /// <summary>The document is not a JSON object, is not valid JSON, or repeats a member name.</summary>
    MalformedJson,

    /// <summary>The document has no <c>keys</c> array.</summary>
    MissingKeys,

    /// <summary>A key entry is not a JSON object, or a member it needs has the wrong JSON type.</summary>
    MalformedKey,

    /// <summary><c>spiffe_sequence</c> is not a non-negative 64-bit integer.</summary>
    InvalidSequenceNumber,

    /// <summary><c>spiffe_refresh_hint</c> is not a non-negative integer number of seconds.</summary>
    InvalidRefreshHint,

    /// <summary>A <c>jwt-svid</c> key has no <c>kid</c>.</summary>
    MissingKeyId,

    /// <summary>Two <c>jwt-svid</c> keys share a <c>kid</c>.</summary>
    DuplicateKeyId,

    /// <summary>A <c>jwt-svid</c> key's parameters (<c>n</c>/<c>e</c>, <c>x</c>/<c>y</c>) do not form a valid public key.</summary>
    InvalidKey,

    /// <summary>An <c>x509-svid</c> key has no certificate in <c>x5c</c>.</summary>
    MissingCertificate,

    /// <summary>An <c>x509-svid</c> key's first <c>x5c</c> entry is not a base64 DER certificate.</summary>
    InvalidCertificate,

    /// <summary>The bundle holds more X.509 authorities than <see cref="SpiffeLimits.MaxBundleAuthorities"/>.</summary>
    TooManyAuthorities,

    /// <summary>The bundle holds more JWT authorities than <see cref="SpiffeLimits.MaxJwtAuthorities"/>.</summary>
    TooManyKeys,
}
