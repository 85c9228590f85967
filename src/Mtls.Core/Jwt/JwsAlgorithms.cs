using System.Security.Cryptography;

namespace Mtls.Jwt;

/// <summary>What each allowed JWS algorithm means: its name on the wire, hash, padding and key family.</summary>
internal static class JwsAlgorithms
{
    /// <summary>Maps a header <c>alg</c> to the allow-list; names are case-sensitive (RFC 7515 section 4.1.1).</summary>
    internal static bool TryParse(string? name, out JwtSvidAlgorithm algorithm)
    {
        algorithm = name switch
        {
            "ES256" => JwtSvidAlgorithm.ES256,
            "ES384" => JwtSvidAlgorithm.ES384,
            "ES512" => JwtSvidAlgorithm.ES512,
            "RS256" => JwtSvidAlgorithm.RS256,
            "RS384" => JwtSvidAlgorithm.RS384,
            "RS512" => JwtSvidAlgorithm.RS512,
            "PS256" => JwtSvidAlgorithm.PS256,
            "PS384" => JwtSvidAlgorithm.PS384,
            "PS512" => JwtSvidAlgorithm.PS512,
            _ => (JwtSvidAlgorithm)(-1),
        };
        return Enum.IsDefined(algorithm);
    }

    /// <summary>The header value, e.g. <c>ES256</c>.</summary>
    internal static string Name(JwtSvidAlgorithm algorithm) =>
        Enum.IsDefined(algorithm)
            ? algorithm.ToString()
            : throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Not a JWT-SVID algorithm.");

    internal static HashAlgorithmName Hash(JwtSvidAlgorithm algorithm) => algorithm switch
    {
        JwtSvidAlgorithm.ES256 or JwtSvidAlgorithm.RS256 or JwtSvidAlgorithm.PS256 => HashAlgorithmName.SHA256,
        JwtSvidAlgorithm.ES384 or JwtSvidAlgorithm.RS384 or JwtSvidAlgorithm.PS384 => HashAlgorithmName.SHA384,
        JwtSvidAlgorithm.ES512 or JwtSvidAlgorithm.RS512 or JwtSvidAlgorithm.PS512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Not a JWT-SVID algorithm."),
    };

    /// <summary>The JWK curve an ECDSA algorithm requires (RFC 7518 section 3.4); null for the RSA algorithms.</summary>
    internal static string? Curve(JwtSvidAlgorithm algorithm) => algorithm switch
    {
        JwtSvidAlgorithm.ES256 => "P-256",
        JwtSvidAlgorithm.ES384 => "P-384",
        JwtSvidAlgorithm.ES512 => "P-521",
        _ => null,
    };

    /// <summary>The RSA padding of an RS or PS algorithm; null for ECDSA.</summary>
    internal static RSASignaturePadding? RsaPadding(JwtSvidAlgorithm algorithm) => algorithm switch
    {
        JwtSvidAlgorithm.RS256 or JwtSvidAlgorithm.RS384 or JwtSvidAlgorithm.RS512 => RSASignaturePadding.Pkcs1,
        JwtSvidAlgorithm.PS256 or JwtSvidAlgorithm.PS384 or JwtSvidAlgorithm.PS512 => RSASignaturePadding.Pss,
        _ => null,
    };
}
