using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Mtls.Identity;

namespace Mtls.Jwt;

/// <summary>
/// A JWT-SVID taken apart: the checks that need no key (compact form, header allow-lists, required claims and
/// their types). Signature and time are checked by <see cref="JwtSvidValidator"/>.
/// </summary>
internal sealed class JwsCompactToken
{
    /// <summary>Far above any real JWT-SVID; bounds the work an attacker can ask of the parser.</summary>
    internal const int MaxTokenLength = 64 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        // A repeated member (two "sub" or two "alg") would let two parsers read two different tokens.
        AllowDuplicateProperties = false,
        MaxDepth = 32,
    };

    private JwsCompactToken(
        string token,
        int signingInputLength,
        JwtSvidAlgorithm algorithm,
        string? keyId,
        byte[] signature,
        JsonElement claims,
        SpiffeId id,
        string[] audience,
        DateTimeOffset expiry,
        DateTimeOffset? notBefore,
        DateTimeOffset? issuedAt)
    {
        Token = token;
        SigningInputLength = signingInputLength;
        Algorithm = algorithm;
        KeyId = keyId;
        Signature = signature;
        Claims = claims;
        Id = id;
        Audience = audience;
        Expiry = expiry;
        NotBefore = notBefore;
        IssuedAt = issuedAt;
    }

    internal string Token { get; }

    /// <summary>The length of <c>header.payload</c>, the bytes the signature covers.</summary>
    internal int SigningInputLength { get; }

    internal JwtSvidAlgorithm Algorithm { get; }

    internal string? KeyId { get; }

    internal byte[] Signature { get; }

    internal JsonElement Claims { get; }

    internal SpiffeId Id { get; }

    internal string[] Audience { get; }

    internal DateTimeOffset Expiry { get; }

    internal DateTimeOffset? NotBefore { get; }

    internal DateTimeOffset? IssuedAt { get; }

    /// <summary>The ASCII bytes of <c>header.payload</c>.</summary>
    internal byte[] SigningInput() => Encoding.ASCII.GetBytes(Token, 0, SigningInputLength);

    internal JwtSvid ToSvid(string? hint) => new(Token, Id, Audience, Expiry, IssuedAt, Claims, hint);

    /// <exception cref="JwtSvidException">A key-independent rule is broken.</exception>
    internal static JwsCompactToken Parse(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length > MaxTokenLength)
        {
            throw Fail(JwtSvidRule.Malformed, $"The token is {token.Length} characters long; the limit is {MaxTokenLength}.");
        }

        if (token.AsSpan().TrimStart().StartsWith('{'))
        {
            throw Fail(JwtSvidRule.NotCompact, "The token uses the JWS JSON serialization; JWT-SVIDs must be compact JWS.");
        }

        int first = token.IndexOf('.', StringComparison.Ordinal);
        int second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first < 0 || second < 0 || token.IndexOf('.', second + 1) >= 0)
        {
            throw Fail(JwtSvidRule.NotCompact, "The token is not a compact JWS: it must be three base64url parts joined by two dots.");
        }

        var header = DecodeJson(token.AsSpan(0, first), "header");
        var algorithm = CheckHeader(header, out string? keyId);
        var claims = DecodeJson(token.AsSpan(first + 1, second - first - 1), "claims");
        byte[] signature = DecodeBase64Url(token.AsSpan(second + 1), "signature");

        var id = ReadSubject(claims);
        var audience = ReadAudience(claims);
        var expiry = ReadNumericDate(claims, "exp") ?? throw Fail(JwtSvidRule.MissingExp, "The token has no \"exp\" claim.");
        var notBefore = ReadNumericDate(claims, "nbf");
        var issuedAt = ReadNumericDate(claims, "iat");
        return new JwsCompactToken(token, second, algorithm, keyId, signature, claims, id, audience, expiry, notBefore, issuedAt);
    }

    private static JwtSvidAlgorithm CheckHeader(JsonElement header, out string? keyId)
    {
        if (!header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String)
        {
            throw Fail(JwtSvidRule.UnsupportedAlgorithm, "The header has no \"alg\" string.");
        }

        if (!JwsAlgorithms.TryParse(alg.GetString(), out var algorithm))
        {
            throw Fail(JwtSvidRule.UnsupportedAlgorithm, $"The algorithm \"{alg.GetString()}\" is not allowed for JWT-SVIDs; allowed are RS256/384/512, ES256/384/512 and PS256/384/512.");
        }

        if (header.TryGetProperty("typ", out var typ) && !(typ.ValueKind == JsonValueKind.String && typ.GetString() is "JWT" or "JOSE"))
        {
            throw Fail(JwtSvidRule.BadTyp, $"The \"typ\" header is {typ.GetRawText()}; a JWT-SVID's is absent, \"JWT\" or \"JOSE\".");
        }

        if (header.TryGetProperty("crit", out var crit))
        {
            // No JWS extension is understood here, so every critical one is unknown (RFC 7515 section 4.1.11).
            throw Fail(JwtSvidRule.UnknownCrit, $"The header marks {crit.GetRawText()} as critical; no critical extension is supported.");
        }

        keyId = null;
        if (header.TryGetProperty("kid", out var kid) && kid.ValueKind != JsonValueKind.Null)
        {
            keyId = kid.ValueKind == JsonValueKind.String
                ? kid.GetString()
                : throw Fail(JwtSvidRule.Malformed, $"The \"kid\" header is a JSON {kid.ValueKind}, not a string.");
        }

        return algorithm;
    }

    private static SpiffeId ReadSubject(JsonElement claims)
    {
        if (!claims.TryGetProperty("sub", out var sub) || sub.ValueKind == JsonValueKind.Null)
        {
            throw Fail(JwtSvidRule.MissingSub, "The token has no \"sub\" claim.");
        }

        if (sub.ValueKind != JsonValueKind.String)
        {
            throw Fail(JwtSvidRule.InvalidSub, $"The \"sub\" claim is a JSON {sub.ValueKind}, not a SPIFFE ID string.");
        }

        try
        {
            return SpiffeId.Parse(sub.GetString()!);
        }
        catch (InvalidSpiffeIdException e)
        {
            throw Fail(JwtSvidRule.InvalidSub, $"The \"sub\" claim is not a SPIFFE ID: {e.Message}", e);
        }
    }

    private static string[] ReadAudience(JsonElement claims)
    {
        if (!claims.TryGetProperty("aud", out var aud) || aud.ValueKind == JsonValueKind.Null)
        {
            throw Fail(JwtSvidRule.MissingAud, "The token has no \"aud\" claim.");
        }

        switch (aud.ValueKind)
        {
            case JsonValueKind.String:
                return [aud.GetString()!];
            case JsonValueKind.Array:
                var result = new string[aud.GetArrayLength()];
                int i = 0;
                foreach (var item in aud.EnumerateArray())
                {
                    result[i++] = item.ValueKind == JsonValueKind.String
                        ? item.GetString()!
                        : throw Fail(JwtSvidRule.Malformed, $"\"aud\"[{i}] is a JSON {item.ValueKind}, not a string.");
                }

                return result;
            default:
                throw Fail(JwtSvidRule.Malformed, $"The \"aud\" claim is a JSON {aud.ValueKind}, not a string or an array of strings.");
        }
    }

    /// <summary>A NumericDate claim (RFC 7519 section 2: seconds since the epoch, fractions allowed), or null when absent.</summary>
    private static DateTimeOffset? ReadNumericDate(JsonElement claims, string name)
    {
        if (!claims.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        const double MaxSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z, the end of DateTimeOffset
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double seconds) || !(seconds is >= 0 and <= MaxSeconds))
        {
            throw Fail(JwtSvidRule.Malformed, $"The \"{name}\" claim is {value.GetRawText()}, not a NumericDate (seconds since 1970 as a JSON number).");
        }

        return DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
    }

    private static JsonElement DecodeJson(ReadOnlySpan<char> part, string what)
    {
        byte[] json = DecodeBase64Url(part, what);
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw Fail(JwtSvidRule.Malformed, $"The {what} is a JSON {document.RootElement.ValueKind}, not an object.");
        }
        catch (JsonException e)
        {
            throw Fail(JwtSvidRule.Malformed, $"The {what} is not valid JSON: {e.Message}", e);
        }
    }

    private static byte[] DecodeBase64Url(ReadOnlySpan<char> part, string what)
    {
        // Strict alphabet: Base64Url would otherwise skip whitespace and accept padding, letting one token have many spellings.
        foreach (char c in part)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw Fail(JwtSvidRule.Malformed, $"The {what} is not base64url: it contains '{c}'.");
            }
        }

        try
        {
            return Base64Url.DecodeFromChars(part);
        }
        catch (FormatException e)
        {
            throw Fail(JwtSvidRule.Malformed, $"The {what} is not base64url: {e.Message}", e);
        }
    }

    private static JwtSvidException Fail(JwtSvidRule rule, string message, Exception? inner = null) => new(rule, message, inner);
}
