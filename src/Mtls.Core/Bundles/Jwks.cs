using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Mtls.Bundles;

/// <summary>Reading of JWK Sets (RFC 7517) shared by the SPIFFE bundle format and the Workload API's JWT bundles.</summary>
internal static class Jwks
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        // A repeated member would let two parsers read two different bundles from one document.
        AllowDuplicateProperties = false,
        MaxDepth = 16,
    };

    /// <summary>Writes a JSON document with <paramref name="write"/> and returns it as a string.</summary>
    internal static string Write(bool indented, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses a JWK Set document: a JSON object with a <c>keys</c> array.</summary>
    internal static JsonDocument Parse(ReadOnlyMemory<byte> utf8Json, out JsonElement keys)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(BundleFormatRule.MalformedJson, $"The bundle is not valid JSON: {e.Message}", e);
        }

        try
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BundleFormatException(BundleFormatRule.MalformedJson, $"The bundle is a JSON {document.RootElement.ValueKind}, not an object.");
            }

            if (!document.RootElement.TryGetProperty("keys", out keys) || keys.ValueKind != JsonValueKind.Array)
            {
                throw new BundleFormatException(BundleFormatRule.MissingKeys, "The bundle has no \"keys\" array.");
            }

            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    /// <summary>A key entry's <c>use</c>, or null when absent; throws when the entry is not an object.</summary>
    internal static string? Use(JsonElement key, string where)
    {
        if (key.ValueKind != JsonValueKind.Object)
        {
            throw new BundleFormatException(BundleFormatRule.MalformedKey, $"{where} is a JSON {key.ValueKind}, not an object.");
        }

        return OptionalString(key, "use", where);
    }

    /// <summary>Reads a <c>jwt-svid</c> key; null when its key type or curve is unknown (to be ignored).</summary>
    internal static JwtAuthority? ReadJwtAuthority(JsonElement key, string where, HashSet<string> keyIds)
    {
        string? keyId = OptionalString(key, "kid", where);
        var authority = JwtAuthority.FromJwk(key, keyId ?? string.Empty, where);
        if (authority is null)
        {
            return null;
        }

        if (string.IsNullOrEmpty(keyId))
        {
            throw new BundleFormatException(BundleFormatRule.MissingKeyId, $"{where} is a jwt-svid key without a \"kid\".");
        }

        if (!keyIds.Add(keyId))
        {
            throw new BundleFormatException(BundleFormatRule.DuplicateKeyId, $"{where} repeats the key ID \"{keyId}\".");
        }

        return authority;
    }

    /// <summary>
    /// Reads the certificate of an <c>x509-svid</c> key: the first <c>x5c</c> entry (the SPIFFE bundle format says
    /// extra entries are ignored). Null when the key type is unknown (to be ignored).
    /// </summary>
    internal static X509Certificate2? ReadX509Authority(JsonElement key, string where)
    {
        if (OptionalString(key, "kty", where) is not (JwtAuthority.EllipticCurveKeyType or JwtAuthority.RsaKeyType))
        {
            return null;
        }

        if (!key.TryGetProperty("x5c", out var x5c) || x5c.ValueKind == JsonValueKind.Null)
        {
            throw new BundleFormatException(BundleFormatRule.MissingCertificate, $"{where} is an x509-svid key without \"x5c\".");
        }

        if (x5c.ValueKind != JsonValueKind.Array)
        {
            throw new BundleFormatException(BundleFormatRule.MalformedKey, $"{where}: \"x5c\" is a JSON {x5c.ValueKind}, not an array.");
        }

        if (x5c.GetArrayLength() == 0)
        {
            throw new BundleFormatException(BundleFormatRule.MissingCertificate, $"{where} is an x509-svid key with an empty \"x5c\".");
        }

        var first = x5c[0];
        if (first.ValueKind != JsonValueKind.String)
        {
            throw new BundleFormatException(BundleFormatRule.InvalidCertificate, $"{where}: \"x5c\"[0] is a JSON {first.ValueKind}, not a base64 string.");
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(first.GetString()!));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            throw new BundleFormatException(BundleFormatRule.InvalidCertificate, $"{where}: \"x5c\"[0] is not a base64 DER certificate: {e.Message}", e);
        }
    }

    /// <summary>A string member, or null when absent or JSON null; throws when it has another type.</summary>
    internal static string? OptionalString(JsonElement element, string name, string where)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new BundleFormatException(BundleFormatRule.MalformedKey, $"{where}: \"{name}\" is a JSON {value.ValueKind}, not a string.");
    }

    /// <summary>A base64url member (RFC 7518 key parameters); throws when absent or not base64url.</summary>
    internal static byte[] RequiredBase64Url(JsonElement element, string name, string where)
    {
        string value = OptionalString(element, name, where)
            ?? throw new BundleFormatException(BundleFormatRule.InvalidKey, $"{where} has no \"{name}\".");
        try
        {
            return Base64Url.DecodeFromChars(value);
        }
        catch (FormatException e)
        {
            throw new BundleFormatException(BundleFormatRule.InvalidKey, $"{where}: \"{name}\" is not base64url: {e.Message}", e);
        }
    }
}
