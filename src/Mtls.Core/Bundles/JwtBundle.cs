using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Mtls.Identity;

namespace Mtls.Bundles;

/// <summary>
/// The JWT authorities (public keys by key ID) of one trust domain: what verifies the JWT-SVIDs whose <c>sub</c>
/// belongs to it. Immutable: <see cref="WithAuthority"/> and <see cref="WithoutAuthority"/> return new bundles. An
/// empty bundle is valid and trusts nothing.
/// </summary>
public sealed class JwtBundle
{
    private readonly JwtAuthority[] _ordered;
    private readonly FrozenDictionary<string, JwtAuthority> _byKeyId;

    /// <summary>Creates a bundle for <paramref name="trustDomain"/> holding <paramref name="authorities"/>.</summary>
    /// <exception cref="ArgumentException">
    /// Two authorities share a key ID, or there are more than <see cref="SpiffeLimits.MaxJwtAuthorities"/>.
    /// </exception>
    public JwtBundle(TrustDomain trustDomain, IEnumerable<JwtAuthority> authorities)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        ArgumentNullException.ThrowIfNull(authorities);
        TrustDomain = trustDomain;
        _ordered = [.. authorities];
        if (_ordered.Length > SpiffeLimits.MaxJwtAuthorities)
        {
            throw new ArgumentException(SpiffeLimits.JwtBundleOverLimit(trustDomain, _ordered.Length), nameof(authorities));
        }

        var map = new Dictionary<string, JwtAuthority>(StringComparer.Ordinal);
        foreach (var authority in _ordered)
        {
            ArgumentNullException.ThrowIfNull(authority, nameof(authorities));
            if (!map.TryAdd(authority.KeyId, authority))
            {
                throw new ArgumentException($"Two authorities share the key ID \"{authority.KeyId}\".", nameof(authorities));
            }
        }

        _byKeyId = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The trust domain these authorities vouch for.</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>The authorities, in the order given.</summary>
    public IReadOnlyList<JwtAuthority> Authorities => _ordered;

    /// <summary>True when the bundle holds no authority (it then trusts nothing).</summary>
    public bool IsEmpty => _ordered.Length == 0;

    /// <summary>
    /// Parses a JWK Set as the Workload API's <c>FetchJWTBundles</c> sends it. Keys whose <c>use</c> is
    /// <c>jwt-svid</c> or absent are JWT authorities (SPIRE omits <c>use</c> in this response); keys with any other
    /// <c>use</c> (e.g. <c>x509-svid</c>), an unknown key type or an unknown curve are ignored.
    /// </summary>
    /// <exception cref="BundleFormatException">
    /// The document or one of its JWT keys is malformed, or it holds more than
    /// <see cref="SpiffeLimits.MaxJwtAuthorities"/> JWT keys (<see cref="BundleFormatRule.TooManyKeys"/>, checked before
    /// any key is built).
    /// </exception>
    public static JwtBundle Parse(TrustDomain trustDomain, ReadOnlySpan<byte> jwksUtf8)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        using var document = Jwks.Parse(jwksUtf8.ToArray(), out var keys);
        int candidates = 0;
        int index = 0;
        foreach (var key in keys.EnumerateArray())
        {
            if (Jwks.Use(key, $"keys[{index++}]") is null or SpiffeBundle.JwtSvidUse)
            {
                candidates++;
            }
        }

        if (candidates > SpiffeLimits.MaxJwtAuthorities)
        {
            throw new BundleFormatException(BundleFormatRule.TooManyKeys, SpiffeLimits.JwtBundleOverLimit(trustDomain, candidates));
        }

        var authorities = new List<JwtAuthority>();
        var keyIds = new HashSet<string>(StringComparer.Ordinal);
        index = 0;
        foreach (var key in keys.EnumerateArray())
        {
            string where = $"keys[{index++}]";
            if (Jwks.Use(key, where) is null or SpiffeBundle.JwtSvidUse && Jwks.ReadJwtAuthority(key, where, keyIds) is { } authority)
            {
                authorities.Add(authority);
            }
        }

        return new JwtBundle(trustDomain, authorities);
    }

    /// <inheritdoc cref="Parse(TrustDomain, ReadOnlySpan{byte})"/>
    public static JwtBundle Parse(TrustDomain trustDomain, string jwks)
    {
        ArgumentNullException.ThrowIfNull(jwks);
        return Parse(trustDomain, Encoding.UTF8.GetBytes(jwks));
    }

    /// <summary>The authority with key ID <paramref name="keyId"/>, if the bundle has it.</summary>
    public bool TryGetAuthority(string keyId, [NotNullWhen(true)] out JwtAuthority? authority)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        return _byKeyId.TryGetValue(keyId, out authority);
    }

    /// <summary>A bundle with <paramref name="authority"/> added, replacing one with the same key ID (this one unchanged).</summary>
    public JwtBundle WithAuthority(JwtAuthority authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return new JwtBundle(TrustDomain, [.. _ordered.Where(a => a.KeyId != authority.KeyId), authority]);
    }

    /// <summary>A bundle without the authority of key ID <paramref name="keyId"/> (this one unchanged).</summary>
    public JwtBundle WithoutAuthority(string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        return new JwtBundle(TrustDomain, _ordered.Where(a => a.KeyId != keyId));
    }

    /// <summary>The authorities as a JWK Set (<c>{"keys":[...]}</c>), each key with <c>use: jwt-svid</c> and its <c>kid</c>.</summary>
    public string ToJwks() => Jwks.Write(indented: true, writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("keys");
        foreach (var authority in _ordered)
        {
            authority.WriteJwk(writer, SpiffeBundle.JwtSvidUse);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });
}
