namespace Mtls.Jwt;

/// <summary>
/// The JWS algorithms a JWT-SVID may be signed with (the JWT-SVID specification's allow-list). Anything else,
/// <c>none</c>, HMAC (<c>HS*</c>) and <c>EdDSA</c> included, is rejected.
/// </summary>
public enum JwtSvidAlgorithm
{
    /// <summary>ECDSA on P-256 with SHA-256.</summary>
    ES256,

    /// <summary>ECDSA on P-384 with SHA-384.</summary>
    ES384,

    /// <summary>ECDSA on P-521 with SHA-512.</summary>
    ES512,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    RS256,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-384.</summary>
    RS384,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-512.</summary>
    RS512,

    /// <summary>RSASSA-PSS with SHA-256 (salt as long as the hash).</summary>
    PS256,

    /// <summary>RSASSA-PSS with SHA-384 (salt as long as the hash).</summary>
    PS384,

    /// <summary>RSASSA-PSS with SHA-512 (salt as long as the hash).</summary>
    PS512,
}
