using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;

namespace Mtls.Testing.Jwt;

/// <summary>
/// FOR TESTS AND LOCAL DEMOS ONLY. A JWT-SVID signer for one trust domain: mints tokens for any <c>sub</c>,
/// audience and lifetime, and deliberately broken ones (alg <c>none</c>, HS256, expired, wrong <c>typ</c>, unknown
/// <c>crit</c>, no <c>kid</c>, JSON serialization) for negative tests, and exposes its public keys as a
/// <see cref="JwtBundle"/> or JWKS. Its private keys live in memory only. Production JWT-SVIDs come from SPIRE.
/// Thread-safe; <see cref="RotateKey"/> switches the signing key and keeps the old public key in the bundle.
/// </summary>
public sealed class TestJwtIssuer : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<AsymmetricAlgorithm> _keys = [];
    private volatile State _state;
    private int _keyCounter;

    private TestJwtIssuer(TrustDomain trustDomain, TimeProvider time, JwtSvidAlgorithm algorithm, string? keyId)
    {
        TrustDomain = trustDomain;
        _time = time;
        _state = NewState(algorithm, keyId, new JwtBundle(trustDomain, []));
    }

    /// <summary>The trust domain this issuer signs for.</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>The key ID of the current signing key.</summary>
    public string KeyId => _state.KeyId;

    /// <summary>The algorithm of the current signing key.</summary>
    public JwtSvidAlgorithm Algorithm => _state.Algorithm;

    /// <summary>The public keys (current and rotated-out) as a JWT bundle.</summary>
    public JwtBundle Bundle => _state.Bundle;

    /// <summary>Creates an issuer for <paramref name="trustDomain"/> with a fresh signing key.</summary>
    /// <param name="trustDomain">The trust domain, e.g. <c>example.org</c>.</param>
    /// <param name="algorithm">ES256 (P-256, SPIRE's default), ES384, ES512, or RS*/PS* with an RSA 2048 key.</param>
    /// <param name="keyId">The key ID; a random one when null.</param>
    /// <param name="time">The clock for <c>iat</c> and <c>exp</c>.</param>
    public static TestJwtIssuer Create(string trustDomain, JwtSvidAlgorithm algorithm = JwtSvidAlgorithm.ES256, string? keyId = null, TimeProvider? time = null) =>
        Create(TrustDomain.Parse(trustDomain), algorithm, keyId, time);

    /// <inheritdoc cref="Create(string, JwtSvidAlgorithm, string?, TimeProvider?)"/>
    public static TestJwtIssuer Create(TrustDomain trustDomain, JwtSvidAlgorithm algorithm = JwtSvidAlgorithm.ES256, string? keyId = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return new TestJwtIssuer(trustDomain, time ?? TimeProvider.System, algorithm, keyId);
    }

    /// <summary>The public keys as a JWK Set, as the Workload API's <c>FetchJWTBundles</c> carries it.</summary>
    public string ToJwks() => Bundle.ToJwks();

    /// <summary>Switches to a new signing key; the old public key stays in <see cref="Bundle"/>.</summary>
    public void RotateKey(JwtSvidAlgorithm? algorithm = null, string? keyId = null)
    {
        lock (_gate)
        {
            var current = _state;
            _state = NewState(algorithm ?? current.Algorithm, keyId, current.Bundle);
        }
    }

    /// <summary>Removes the public key <paramref name="keyId"/> from <see cref="Bundle"/> (tokens it signed stop validating).</summary>
    public void RemoveKey(string keyId)
    {
        lock (_gate)
        {
            var current = _state;
            _state = current with { Bundle = current.Bundle.WithoutAuthority(keyId) };
        }
    }

    /// <summary>Mints a valid JWT-SVID for <paramref name="id"/> and <paramref name="audience"/>, parsed.</summary>
    public JwtSvid Issue(string id, string audience, TimeSpan? ttl = null, string? hint = null) =>
        JwtSvid.ParseInsecure(IssueToken(id, [audience], new JwtSvidSpec { Ttl = ttl ?? TimeSpan.FromMinutes(5) }), hint);

    /// <summary>Mints a valid token for <paramref name="id"/> and <paramref name="audience"/>.</summary>
    public string IssueToken(string id, string audience, TimeSpan? ttl = null) =>
        IssueToken(id, [audience], new JwtSvidSpec { Ttl = ttl ?? TimeSpan.FromMinutes(5) });

    /// <summary>
    /// Mints a token with <c>sub</c> <paramref name="id"/> (any string, so invalid IDs can be tested) shaped by
    /// <paramref name="spec"/>: valid with the defaults.
    /// </summary>
    public string IssueToken(string id, IReadOnlyList<string> audience, JwtSvidSpec? spec = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(audience);
        spec ??= new JwtSvidSpec();
        var state = _state;
        string alg = spec.Algorithm ?? state.Algorithm.ToString();
        string header = Base64Url.EncodeToString(Json(writer =>
        {
            writer.WriteString("alg", alg);
            if (spec.Type is not null)
            {
                writer.WriteString("typ", spec.Type);
            }

            if (spec.IncludeKeyId)
            {
                writer.WriteString("kid", spec.KeyId ?? state.KeyId);
            }

            if (spec.Critical is { } critical)
            {
                writer.WriteStartArray("crit");
                foreach (string name in critical)
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
                foreach (string name in critical)
                {
                    writer.WriteBoolean(name, true);
                }
            }
        }));
        string payload = Base64Url.EncodeToString(Claims(id, audience, spec));
        byte[] signingInput = Encoding.ASCII.GetBytes(header + "." + payload);
        string signature = Base64Url.EncodeToString(Sign(state, alg, signingInput));
        if (!spec.JsonSerialization)
        {
            return $"{header}.{payload}.{signature}";
        }

        return Encoding.UTF8.GetString(Json(writer =>
        {
            writer.WriteString("payload", payload);
            writer.WriteString("protected", header);
            writer.WriteString("signature", signature);
        }));
    }

    /// <summary>Releases the signing keys.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var key in _keys)
            {
                key.Dispose();
            }

            _keys.Clear();
        }
    }

    private State NewState(JwtSvidAlgorithm algorithm, string? keyId, JwtBundle bundle)
    {
        AsymmetricAlgorithm key = algorithm switch
        {
            JwtSvidAlgorithm.ES256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            JwtSvidAlgorithm.ES384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            JwtSvidAlgorithm.ES512 => ECDsa.Create(ECCurve.NamedCurves.nistP521),
            _ => RSA.Create(2048),
        };
        _keys.Add(key);
        keyId ??= $"{TrustDomain.Name}-{Interlocked.Increment(ref _keyCounter)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        return new State(algorithm, keyId, key, bundle.WithAuthority(JwtAuthority.Create(keyId, key)));
    }

    private byte[] Claims(string id, IReadOnlyList<string> audience, JwtSvidSpec spec)
    {
        var now = _time.GetUtcNow();
        return Json(writer =>
        {
            if (!spec.OmitSubject)
            {
                writer.WriteString("sub", id);
            }

            if (!spec.OmitAudience)
            {
                if (spec.AudienceAsString)
                {
                    writer.WriteString("aud", audience.Single());
                }
                else
                {
                    writer.WriteStartArray("aud");
                    foreach (string value in audience)
                    {
                        writer.WriteStringValue(value);
                    }

                    writer.WriteEndArray();
                }
            }

            if (!spec.OmitExpiry)
            {
                writer.WriteNumber("exp", (spec.ExpiresAt ?? now.Add(spec.Ttl)).ToUnixTimeSeconds());
            }

            if (spec.NotBefore is { } notBefore)
            {
                writer.WriteNumber("nbf", notBefore.ToUnixTimeSeconds());
            }

            writer.WriteNumber("iat", now.ToUnixTimeSeconds());
            foreach (var (name, value) in spec.ExtraClaims ?? new Dictionary<string, string>())
            {
                writer.WriteString(name, value);
            }
        });
    }

    private byte[] Sign(State state, string alg, byte[] signingInput)
    {
        switch (alg)
        {
            case "none":
                return [];
            case "HS256":
                return HMACSHA256.HashData(Encoding.UTF8.GetBytes(ToJwks()), signingInput);
            case "HS384":
                return HMACSHA384.HashData(Encoding.UTF8.GetBytes(ToJwks()), signingInput);
            case "HS512":
                return HMACSHA512.HashData(Encoding.UTF8.GetBytes(ToJwks()), signingInput);
        }

        // Any other alg header is signed with the key's own algorithm, so a header naming another one is a mismatch.
        var hash = JwsAlgorithms.Hash(state.Algorithm);
        return state.Key switch
        {
            ECDsa ec => ec.SignData(signingInput, hash),
            RSA rsa => rsa.SignData(signingInput, hash, JwsAlgorithms.RsaPadding(state.Algorithm)!),
            _ => throw new InvalidOperationException("Unreachable: the key is ECDSA or RSA."),
        };
    }

    private static byte[] Json(Action<Utf8JsonWriter> write) => Encoding.UTF8.GetBytes(Jwks.Write(indented: false, writer =>
    {
        writer.WriteStartObject();
        write(writer);
        writer.WriteEndObject();
    }));

    private sealed record State(JwtSvidAlgorithm Algorithm, string KeyId, AsymmetricAlgorithm Key, JwtBundle Bundle);
}
