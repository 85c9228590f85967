using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Mtls.Jwt;

namespace Mtls.Bundles;

/// <summary>
/// One JWT signing authority of a trust domain: a public key (ECDSA on P-256/P-384/P-521, or RSA) and its key ID
/// (<c>kid</c>). Immutable: it keeps its own copy of the public key.
/// </summary>
public sealed class JwtAuthority
{
    /// <summary>JWK <c>kty</c> of ECDSA keys.</summary>
    public const string EllipticCurveKeyType = "EC";

    /// <summary>JWK <c>kty</c> of RSA keys.</summary>
    public const string RsaKeyType = "RSA";

    // Only ever used to verify, which ECDsa and RSA allow concurrently; never handed out (ExportPublicKey copies).
    private readonly AsymmetricAlgorithm _key;

    private JwtAuthority(string keyId, AsymmetricAlgorithm key, string? curve)
    {
        KeyId = keyId;
        _key = key;
        Curve = curve;
    }

    /// <summary>The key ID (<c>kid</c>) that selects this authority in its bundle.</summary>
    public string KeyId { get; }

    /// <summary>The JWK key type: <see cref="EllipticCurveKeyType"/> or <see cref="RsaKeyType"/>.</summary>
    public string KeyType => Curve is null ? RsaKeyType : EllipticCurveKeyType;

    /// <summary>The JWK curve name (<c>P-256</c>, <c>P-384</c>, <c>P-521</c>) of an ECDSA key; null for RSA.</summary>
    public string? Curve { get; }

    /// <summary>Creates an authority from the public part of <paramref name="publicKey"/> (an <see cref="ECDsa"/> or <see cref="RSA"/>).</summary>
    /// <exception cref="ArgumentException">The key ID is empty, or the key is neither RSA nor ECDSA on P-256/P-384/P-521.</exception>
    public static JwtAuthority Create(string keyId, AsymmetricAlgorithm publicKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentNullException.ThrowIfNull(publicKey);
        switch (publicKey)
        {
            case ECDsa ec:
                var parameters = ec.ExportParameters(includePrivateParameters: false);
                string curve = CurveName(parameters.Curve)
                    ?? throw new ArgumentException("Only ECDSA keys on P-256, P-384 or P-521 can sign JWT-SVIDs.", nameof(publicKey));
                return new JwtAuthority(keyId, ECDsa.Create(parameters), curve);
            case RSA rsa:
                return new JwtAuthority(keyId, RSA.Create(rsa.ExportParameters(includePrivateParameters: false)), curve: null);
            default:
                throw new ArgumentException($"A {publicKey.GetType().Name} key cannot sign JWT-SVIDs; use ECDSA or RSA.", nameof(publicKey));
        }
    }

    /// <summary>A new instance of the public key (an <see cref="ECDsa"/> or <see cref="RSA"/>) that the caller owns and disposes.</summary>
    public AsymmetricAlgorithm ExportPublicKey() => _key switch
    {
        ECDsa ec => ECDsa.Create(ec.ExportParameters(includePrivateParameters: false)),
        RSA rsa => RSA.Create(rsa.ExportParameters(includePrivateParameters: false)),
        _ => throw new InvalidOperationException("Unreachable: the key is ECDSA or RSA."),
    };

    /// <summary>True when <paramref name="algorithm"/> fits this key: ES256/384/512 need P-256/384/521, RS* and PS* need RSA.</summary>
    public bool Supports(JwtSvidAlgorithm algorithm) =>
        JwsAlgorithms.Curve(algorithm) is { } curve ? curve == Curve : Curve is null && Enum.IsDefined(algorithm);

    /// <summary>The public key as a JWK JSON object with <c>kid</c> and the given <c>use</c>.</summary>
    public string ToJwk(string use = SpiffeBundle.JwtSvidUse) => Jwks.Write(indented: false, writer => WriteJwk(writer, use));

    /// <summary>Verifies a JWS signature; the caller has checked <see cref="Supports"/>.</summary>
    internal bool Verify(JwtSvidAlgorithm algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => _key switch
    {
        // JWS ECDSA signatures are R||S (IEEE P1363), .NET's default format.
        ECDsa ec => ec.VerifyData(data, signature, JwsAlgorithms.Hash(algorithm)),
        RSA rsa => rsa.VerifyData(data, signature, JwsAlgorithms.Hash(algorithm), JwsAlgorithms.RsaPadding(algorithm)!),
        _ => false,
    };

    internal void WriteJwk(Utf8JsonWriter writer, string use)
    {
        writer.WriteStartObject();
        writer.WriteString("use", use);
        writer.WriteString("kid", KeyId);
        WriteKeyParameters(writer, _key);
        writer.WriteEndObject();
    }

    /// <summary>Writes <c>kty</c> and the public parameters (RFC 7518 section 6) of an ECDSA or RSA key.</summary>
    internal static void WriteKeyParameters(Utf8JsonWriter writer, AsymmetricAlgorithm key)
    {
        switch (key)
        {
            case ECDsa ec:
                var ecParameters = ec.ExportParameters(includePrivateParameters: false);
                writer.WriteString("kty", EllipticCurveKeyType);
                writer.WriteString("crv", CurveName(ecParameters.Curve));
                writer.WriteString("x", Base64Url.EncodeToString(ecParameters.Q.X));
                writer.WriteString("y", Base64Url.EncodeToString(ecParameters.Q.Y));
                break;
            case RSA rsa:
                var rsaParameters = rsa.ExportParameters(includePrivateParameters: false);
                writer.WriteString("kty", RsaKeyType);
                writer.WriteString("n", Base64Url.EncodeToString(rsaParameters.Modulus));
                writer.WriteString("e", Base64Url.EncodeToString(rsaParameters.Exponent));
                break;
            default:
                throw new NotSupportedException($"A {key.GetType().Name} key has no JWK form here; use ECDSA or RSA.");
        }
    }

    /// <summary>
    /// Reads an EC or RSA JWK. Returns null for a key type or curve this library does not know (the SPIFFE bundle
    /// format says such keys are ignored); throws when known parameters do not form a key.
    /// </summary>
    internal static JwtAuthority? FromJwk(JsonElement jwk, string keyId, string where)
    {
        string? keyType = Jwks.OptionalString(jwk, "kty", where);
        try
        {
            switch (keyType)
            {
                case EllipticCurveKeyType:
                    var curve = CurveFromName(Jwks.OptionalString(jwk, "crv", where));
                    if (curve is null)
                    {
                        return null;
                    }

                    var ecParameters = new ECParameters
                    {
                        Curve = curve.Value,
                        Q = new ECPoint { X = Jwks.RequiredBase64Url(jwk, "x", where), Y = Jwks.RequiredBase64Url(jwk, "y", where) },
                    };
                    var ec = ECDsa.Create(ecParameters);
                    return new JwtAuthority(keyId, ec, CurveName(ecParameters.Curve));
                case RsaKeyType:
                    var rsa = RSA.Create(new RSAParameters
                    {
                        Modulus = Jwks.RequiredBase64Url(jwk, "n", where),
                        Exponent = Jwks.RequiredBase64Url(jwk, "e", where),
                    });
                    return new JwtAuthority(keyId, rsa, curve: null);
                default:
                    return null;
            }
        }
        catch (CryptographicException e)
        {
            throw new BundleFormatException(BundleFormatRule.InvalidKey, $"{where}: the {keyType} parameters do not form a valid public key: {e.Message}", e);
        }
    }

    private static string? CurveName(ECCurve curve) => curve.Oid?.Value switch
    {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        _ => curve.Oid?.FriendlyName switch
        {
            "nistP256" or "ECDSA_P256" or "secp256r1" => "P-256",
            "nistP384" or "ECDSA_P384" or "secp384r1" => "P-384",
            "nistP521" or "ECDSA_P521" or "secp521r1" => "P-521",
            _ => null,
        },
    };

    private static ECCurve? CurveFromName(string? name) => name switch
    {
        "P-256" => ECCurve.NamedCurves.nistP256,
        "P-384" => ECCurve.NamedCurves.nistP384,
        "P-521" => ECCurve.NamedCurves.nistP521,
        _ => null,
    };
}
