using System.Collections.Frozen;
using System.Text.Json;
using Mtls.Identity;

namespace Mtls.Jwt;

/// <summary>
/// A JWT-SVID: a compact JWS whose <c>sub</c> is a SPIFFE ID. An instance comes either from
/// <see cref="JwtSvidValidator.Validate(string, string)"/> (signature, audience and time checked) or from
/// <see cref="ParseInsecure"/> (for tokens the trusted Workload API handed us). Immutable. <see cref="ToString"/>
/// never shows the token, which is a bearer credential.
/// </summary>
public sealed class JwtSvid
{
    private readonly JsonElement _claims;
    private IReadOnlyDictionary<string, JsonElement>? _claimMap;

    internal JwtSvid(string token, SpiffeId id, string[] audience, DateTimeOffset expiry, DateTimeOffset? issuedAt, JsonElement claims, string? hint)
    {
        Token = token;
        Id = id;
        Audience = audience;
        Expiry = expiry;
        IssuedAt = issuedAt;
        _claims = claims;
        Hint = hint;
    }

    /// <summary>The token as sent (compact JWS). A bearer credential: never log it.</summary>
    public string Token { get; }

    /// <summary>The SPIFFE ID in <c>sub</c>.</summary>
    public SpiffeId Id { get; }

    /// <summary>The audiences in <c>aud</c> (a single string is read as a one-element list).</summary>
    public IReadOnlyList<string> Audience { get; }

    /// <summary>When the token expires (<c>exp</c>).</summary>
    public DateTimeOffset Expiry { get; }

    /// <summary>When the token was issued (<c>iat</c>), if it says.</summary>
    public DateTimeOffset? IssuedAt { get; }

    /// <summary>Every claim of the payload, registered and private, as JSON values.</summary>
    /// <remarks>Built on first use: a validation whose caller never reads the claims does not pay for the map.</remarks>
    public IReadOnlyDictionary<string, JsonElement> Claims =>
        Volatile.Read(ref _claimMap) ?? Interlocked.CompareExchange(ref _claimMap, _claims.EnumerateObject().ToFrozenDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal), null) ?? _claimMap!;

    /// <summary>The Workload API's hint for this SVID (an operator-chosen label), if any.</summary>
    public string? Hint { get; }

    /// <summary>
    /// Parses a JWT-SVID without verifying its signature or checking its audience and times. Only for tokens from a
    /// trusted channel, such as the Workload API's <c>FetchJWTSVID</c>; a token received from a peer goes through
    /// <see cref="JwtSvidValidator"/>. The form is still checked: compact JWS, allowed <c>alg</c>, <c>typ</c>, no
    /// <c>crit</c>, a SPIFFE ID in <c>sub</c>, <c>aud</c> and <c>exp</c> present.
    /// </summary>
    /// <exception cref="JwtSvidException">The token breaks a rule that needs no key.</exception>
    public static JwtSvid ParseInsecure(string token, string? hint = null) => JwsCompactToken.Parse(token).ToSvid(hint);

    /// <summary>A description without the token, e.g. <c>JwtSvid(spiffe://example.org/web, aud [api], expires ...)</c>.</summary>
    public override string ToString() => $"JwtSvid({Id}, aud [{string.Join(", ", Audience)}], expires {Expiry:u})";
}
