using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Mtls.Identity;

namespace Mtls.Bundles;

/// <summary>
/// A trust domain's bundle in the SPIFFE bundle format (SPIFFE Trust Domain and Bundle, section 4): a JWK Set
/// carrying X.509 authorities (<c>use: x509-svid</c>, one certificate in <c>x5c</c>) and JWT authorities
/// (<c>use: jwt-svid</c>, with <c>kid</c>), plus an optional sequence number and refresh hint. This is what bundle
/// endpoints serve for federation. Immutable; it holds its own copies of the certificates. Empty trusts nothing.
/// </summary>
public sealed class SpiffeBundle
{
    /// <summary>The <c>use</c> of a key that verifies X.509-SVIDs.</summary>
    public const string X509SvidUse = "x509-svid";

    /// <summary>The <c>use</c> of a key that verifies JWT-SVIDs.</summary>
    public const string JwtSvidUse = "jwt-svid";

    private readonly X509Bundle _x509;

    /// <summary>Creates a bundle; the certificates are copied, so the caller keeps ownership of its own.</summary>
    /// <exception cref="ArgumentException">
    /// Two JWT authorities share a key ID, or there are more authorities of a kind than <see cref="SpiffeLimits"/> allows.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">The refresh hint is negative.</exception>
    public SpiffeBundle(
        TrustDomain trustDomain,
        IEnumerable<X509Certificate2> x509Authorities,
        IEnumerable<JwtAuthority> jwtAuthorities,
        ulong? sequenceNumber = null,
        TimeSpan? refreshHint = null)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        ArgumentNullException.ThrowIfNull(x509Authorities);
        ArgumentNullException.ThrowIfNull(jwtAuthorities);
        if (refreshHint < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(refreshHint), refreshHint, "The refresh hint cannot be negative.");
        }

        TrustDomain = trustDomain;
        _x509 = CopyOf(trustDomain, x509Authorities);
        JwtBundle = new JwtBundle(trustDomain, jwtAuthorities);
        SequenceNumber = sequenceNumber;
        RefreshHint = refreshHint;
    }

    private SpiffeBundle(TrustDomain trustDomain, X509Bundle x509, JwtBundle jwt, ulong? sequenceNumber, TimeSpan? refreshHint)
    {
        TrustDomain = trustDomain;
        _x509 = x509;
        JwtBundle = jwt;
        SequenceNumber = sequenceNumber;
        RefreshHint = refreshHint;
    }

    /// <summary>The trust domain the bundle belongs to (never read from the document: the caller binds it).</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>The X.509 authorities (CA certificates). Do not dispose them; <see cref="ToX509Bundle"/> gives copies.</summary>
    public IReadOnlyList<X509Certificate2> X509Authorities => _x509.Authorities;

    /// <summary>The JWT authorities, as a JWT bundle of this trust domain.</summary>
    public JwtBundle JwtBundle { get; }

    /// <summary><c>spiffe_sequence</c>, when set.</summary>
    public ulong? SequenceNumber { get; }

    /// <summary><c>spiffe_refresh_hint</c> (whole seconds), when set.</summary>
    public TimeSpan? RefreshHint { get; }

    /// <summary>True when the bundle holds no authority of either kind (it then trusts nothing).</summary>
    public bool IsEmpty => _x509.IsEmpty && JwtBundle.IsEmpty;

    /// <summary>
    /// Parses a SPIFFE bundle. Keys with an unknown <c>use</c>, no <c>use</c>, or an unknown key type (or curve) are
    /// ignored without discarding the rest; extra <c>x5c</c> entries after the first are ignored; an empty
    /// <c>keys</c> array gives an empty bundle.
    /// </summary>
    /// <param name="trustDomain">The trust domain the document was obtained for (configured, not read from the document).</param>
    /// <param name="json">The UTF-8 JSON document.</param>
    /// <exception cref="BundleFormatException">
    /// The document, or a key it does not ignore, breaks a rule, or it holds more than
    /// <see cref="SpiffeLimits.MaxBundleAuthorities"/> X.509 or <see cref="SpiffeLimits.MaxJwtAuthorities"/> JWT
    /// authorities; the exception names it.
    /// </exception>
    public static SpiffeBundle Parse(TrustDomain trustDomain, ReadOnlySpan<byte> json)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        using var document = Jwks.Parse(json.ToArray(), out var keys);
        var root = document.RootElement;
        ulong? sequence = null;
        if (root.TryGetProperty("spiffe_sequence", out var sequenceElement))
        {
            sequence = sequenceElement.ValueKind == JsonValueKind.Number && sequenceElement.TryGetUInt64(out ulong value)
                ? value
                : throw new BundleFormatException(BundleFormatRule.InvalidSequenceNumber, $"\"spiffe_sequence\" must be a non-negative 64-bit integer, not {sequenceElement.GetRawText()}.");
        }

        TimeSpan? refreshHint = null;
        if (root.TryGetProperty("spiffe_refresh_hint", out var hintElement))
        {
            refreshHint = hintElement.ValueKind == JsonValueKind.Number && hintElement.TryGetInt64(out long seconds) && seconds >= 0 && seconds <= (long)TimeSpan.MaxValue.TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : throw new BundleFormatException(BundleFormatRule.InvalidRefreshHint, $"\"spiffe_refresh_hint\" must be a non-negative integer number of seconds, not {hintElement.GetRawText()}.");
        }

        CheckCounts(trustDomain, keys);
        var certificates = new List<X509Certificate2>();
        var authorities = new List<JwtAuthority>();
        var keyIds = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        try
        {
            foreach (var key in keys.EnumerateArray())
            {
                string where = $"keys[{index++}]";
                switch (Jwks.Use(key, where))
                {
                    case X509SvidUse when Jwks.ReadX509Authority(key, where) is { } certificate:
                        certificates.Add(certificate);
                        break;
                    case JwtSvidUse when Jwks.ReadJwtAuthority(key, where, keyIds) is { } authority:
                        authorities.Add(authority);
                        break;
                }
            }
        }
        catch
        {
            X509.CertificateEncoding.DisposeAll(certificates);
            throw;
        }

        return new SpiffeBundle(trustDomain, new X509Bundle(trustDomain, certificates), new JwtBundle(trustDomain, authorities), sequence, refreshHint);
    }

    /// <inheritdoc cref="Parse(TrustDomain, ReadOnlySpan{byte})"/>
    public static SpiffeBundle Parse(TrustDomain trustDomain, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(trustDomain, Encoding.UTF8.GetBytes(json));
    }

    /// <summary>
    /// Combines an X.509 bundle and a JWT bundle of the same trust domain (either may be null, not both) into a
    /// SPIFFE bundle. The certificates are copied; the (immutable) JWT bundle is kept as is.
    /// </summary>
    /// <exception cref="ArgumentException">Both are null, or their trust domains differ.</exception>
    public static SpiffeBundle FromBundles(X509Bundle? x509Bundle, JwtBundle? jwtBundle, ulong? sequenceNumber = null, TimeSpan? refreshHint = null)
    {
        var trustDomain = x509Bundle?.TrustDomain ?? jwtBundle?.TrustDomain
            ?? throw new ArgumentException("Give an X.509 bundle, a JWT bundle, or both.", nameof(x509Bundle));
        if (jwtBundle is not null && jwtBundle.TrustDomain != trustDomain)
        {
            throw new ArgumentException($"The X.509 bundle is for {trustDomain} but the JWT bundle is for {jwtBundle.TrustDomain}.", nameof(jwtBundle));
        }

        if (refreshHint < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(refreshHint), refreshHint, "The refresh hint cannot be negative.");
        }

        return new SpiffeBundle(trustDomain, CopyOf(trustDomain, x509Bundle?.Authorities ?? []), jwtBundle ?? new JwtBundle(trustDomain, []), sequenceNumber, refreshHint);
    }

    /// <summary>The X.509 authorities as an <see cref="X509Bundle"/> holding fresh copies of the certificates, which the caller owns.</summary>
    public X509Bundle ToX509Bundle() => CopyOf(TrustDomain, _x509.Authorities);

    /// <summary>The JWT authorities as a <see cref="Bundles.JwtBundle"/> (the same immutable instance as <see cref="JwtBundle"/>).</summary>
    public JwtBundle ToJwtBundle() => JwtBundle;

    /// <summary>
    /// Writes the bundle in the SPIFFE bundle format: <c>spiffe_sequence</c> and <c>spiffe_refresh_hint</c> when set,
    /// then <c>keys</c> with one <c>x509-svid</c> key per certificate (<c>x5c</c> plus the public key parameters) and
    /// one <c>jwt-svid</c> key per JWT authority.
    /// </summary>
    public string ToJson() => Jwks.Write(indented: true, writer =>
    {
        writer.WriteStartObject();
        if (SequenceNumber is { } sequence)
        {
            writer.WriteNumber("spiffe_sequence", sequence);
        }

        if (RefreshHint is { } hint)
        {
            writer.WriteNumber("spiffe_refresh_hint", (long)hint.TotalSeconds);
        }

        writer.WriteStartArray("keys");
        foreach (var certificate in _x509.Authorities)
        {
            WriteX509Key(writer, certificate);
        }

        foreach (var authority in JwtBundle.Authorities)
        {
            authority.WriteJwk(writer, JwtSvidUse);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>Refuses a document over a limit from the keys' <c>use</c> alone, before any certificate or key is built.</summary>
    private static void CheckCounts(TrustDomain trustDomain, JsonElement keys)
    {
        int x509 = 0;
        int jwt = 0;
        int index = 0;
        foreach (var key in keys.EnumerateArray())
        {
            switch (Jwks.Use(key, $"keys[{index++}]"))
            {
                case X509SvidUse:
                    x509++;
                    break;
                case JwtSvidUse:
                    jwt++;
                    break;
            }
        }

        if (x509 > SpiffeLimits.MaxBundleAuthorities)
        {
            throw new BundleFormatException(BundleFormatRule.TooManyAuthorities, SpiffeLimits.X509BundleOverLimit(trustDomain, x509));
        }

        if (jwt > SpiffeLimits.MaxJwtAuthorities)
        {
            throw new BundleFormatException(BundleFormatRule.TooManyKeys, SpiffeLimits.JwtBundleOverLimit(trustDomain, jwt));
        }
    }

    private static X509Bundle CopyOf(TrustDomain trustDomain, IEnumerable<X509Certificate2> certificates) =>
        new(trustDomain, certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawDataMemory.Span)));

    private static void WriteX509Key(Utf8JsonWriter writer, X509Certificate2 certificate)
    {
        using var key = (System.Security.Cryptography.AsymmetricAlgorithm?)certificate.GetECDsaPublicKey() ?? certificate.GetRSAPublicKey()
            ?? throw new NotSupportedException($"The authority {certificate.Subject} has a {certificate.PublicKey.Oid.FriendlyName} key; the SPIFFE bundle format here carries EC and RSA keys.");
        writer.WriteStartObject();
        writer.WriteString("use", X509SvidUse);
        JwtAuthority.WriteKeyParameters(writer, key);
        writer.WriteStartArray("x5c");
        writer.WriteStringValue(Convert.ToBase64String(certificate.RawData));
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
