namespace Mtls.Jwt;

/// <summary>The rule of the JWT-SVID specification that a token broke.</summary>
public enum JwtSvidRule
{
    /// <summary>A part is not base64url, the header or claims are not a JSON object (or repeat a member), or a claim has the wrong JSON type.</summary>
    Malformed,

    /// <summary>The token is not a compact JWS (three base64url parts joined by dots); the JSON serialization and JWE are rejected.</summary>
    NotCompact,

    /// <summary>The <c>alg</c> header is missing or not one of RS256/384/512, ES256/384/512, PS256/384/512 (<c>none</c>, HS*, EdDSA are rejected).</summary>
    UnsupportedAlgorithm,

    /// <summary>The <c>typ</c> header is present and neither <c>JWT</c> nor <c>JOSE</c>.</summary>
    BadTyp,

    /// <summary>The header has a <c>crit</c> member: no critical extension is understood.</summary>
    UnknownCrit,

    /// <summary>The <c>sub</c> claim is missing.</summary>
    MissingSub,

    /// <summary>The <c>sub</c> claim is not a valid SPIFFE ID.</summary>
    InvalidSub,

    /// <summary>The <c>aud</c> claim is missing.</summary>
    MissingAud,

    /// <summary>The <c>exp</c> claim is missing.</summary>
    MissingExp,

    /// <summary>There is no JWT bundle for the trust domain of <c>sub</c>.</summary>
    NoBundleForTrustDomain,

    /// <summary>The <c>kid</c> is not in the bundle of the <c>sub</c>'s trust domain, or there is no <c>kid</c> and that bundle has no key.</summary>
    UnknownKey,

    /// <summary>The <c>alg</c> does not fit the key's type or curve (e.g. ES256 with a P-384 key, RS256 with an EC key).</summary>
    AlgorithmKeyMismatch,

    /// <summary>The signature does not verify with the key (or, without <c>kid</c>, with any fitting key of the bundle).</summary>
    BadSignature,

    /// <summary>The <c>aud</c> claim does not contain the validator's audience.</summary>
    WrongAudience,

    /// <summary>The <c>exp</c> claim is not in the future.</summary>
    Expired,

    /// <summary>The <c>nbf</c> claim is in the future.</summary>
    NotYetValid,

    /// <summary>
    /// The token has no <c>kid</c> and more keys of the bundle fit its <c>alg</c> than
    /// <see cref="SpiffeLimits.MaxJwtKeysTriedWithoutKeyId"/>: it is refused without trying any.
    /// </summary>
    TooManyCandidateKeys,
}
