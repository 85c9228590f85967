using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Testing.Certificates;

/// <summary>
/// FOR TESTS AND LOCAL DEMOS ONLY. A certificate authority for one trust domain (a root and, by default, an
/// intermediate) that issues X.509-SVIDs with any ID, key type and lifetime, and deliberately broken ones for
/// negative tests. Its keys live in memory. Production identity comes from SPIRE or cert-manager.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly TimeProvider _time;
    private readonly X509Certificate2 _issuer;

    private TestCertificateAuthority(TrustDomain trustDomain, X509Certificate2 root, X509Certificate2? intermediate, TimeProvider time)
    {
        TrustDomain = trustDomain;
        Root = root;
        Intermediate = intermediate;
        _issuer = intermediate ?? root;
        _time = time;
    }

    /// <summary>The trust domain this CA issues for.</summary>
    public TrustDomain TrustDomain { get; }

    /// <summary>The root certificate (with its private key).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The intermediate that signs leaves (with its private key), or null when the root signs them.</summary>
    public X509Certificate2? Intermediate { get; }

    /// <summary>Creates a CA for <paramref name="trustDomain"/>.</summary>
    /// <param name="trustDomain">The trust domain, e.g. <c>example.org</c>.</param>
    /// <param name="withIntermediate">Whether leaves are signed by an intermediate (true) or the root.</param>
    /// <param name="keyType">The CA key type.</param>
    /// <param name="time">The clock for validity periods.</param>
    public static TestCertificateAuthority Create(string trustDomain, bool withIntermediate = true, TestKeyType keyType = TestKeyType.EcP256, TimeProvider? time = null) =>
        Create(TrustDomain.Parse(trustDomain), withIntermediate, keyType, time);

    /// <inheritdoc cref="Create(string, bool, TestKeyType, TimeProvider?)"/>
    public static TestCertificateAuthority Create(TrustDomain trustDomain, bool withIntermediate = true, TestKeyType keyType = TestKeyType.EcP256, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        time ??= TimeProvider.System;
        var now = time.GetUtcNow();
        var root = CreateCa($"CN=Test Root {trustDomain}", trustDomain, keyType, issuer: null, now.AddDays(-1), now.AddYears(1));
        var intermediate = withIntermediate
            ? CreateCa($"CN=Test Intermediate {trustDomain}", trustDomain, keyType, root, now.AddDays(-1), now.AddMonths(6))
            : null;
        return new TestCertificateAuthority(trustDomain, root, intermediate, time);
    }

    /// <summary>The trust bundle (the root) for this trust domain; a fresh copy the caller owns.</summary>
    public X509Bundle CreateBundle() => new(TrustDomain, [X509CertificateLoader.LoadCertificate(Root.RawDataMemory.Span)]);

    /// <summary>Issues a valid X.509-SVID for <paramref name="id"/>.</summary>
    public X509Svid IssueSvid(string id, TimeSpan? ttl = null, TestKeyType keyType = TestKeyType.EcP256) =>
        Issue(id, new SvidSpec { Ttl = ttl ?? TimeSpan.FromHours(1), KeyType = keyType }).ToX509Svid();

    /// <summary>Issues an SVID as raw material, valid unless <paramref name="spec"/> breaks a rule.</summary>
    public IssuedSvid Issue(string id, SvidSpec? spec = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        spec ??= new SvidSpec();
        using var key = CreateKey(spec.KeyType);
        var request = CreateRequest(spec.Subject, key);
        if (spec.IsCa)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        }
        else
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        }

        if (spec.IncludeKeyUsage)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(spec.KeyUsage, critical: true));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], critical: false));
        request.CertificateExtensions.Add(BuildSan(spec.UriSans ?? [id], spec.DnsNames, spec.SanCritical ?? spec.Subject.Length == 0));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_issuer, true, false));

        var now = _time.GetUtcNow();
        var notBefore = spec.NotBefore ?? now.AddMinutes(-1);
        var notAfter = spec.NotAfter ?? now.Add(spec.Ttl);
        using var leaf = Sign(request, _issuer, notBefore, notAfter);
        byte[][] chain = Intermediate is null ? [leaf.RawData] : [leaf.RawData, Intermediate.RawData];
        return new IssuedSvid(chain, key.ExportPkcs8PrivateKey(), spec.Hint);
    }

    /// <summary>Issues a self-signed leaf carrying <paramref name="id"/>: trusted by nobody.</summary>
    public static IssuedSvid IssueSelfSigned(string id, TimeSpan? ttl = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CreateRequest("O=SPIFFE", key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(BuildSan([id], [], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var leaf = request.CreateSelfSigned(now.AddMinutes(-1), now.Add(ttl ?? TimeSpan.FromHours(1)));
        return new IssuedSvid([leaf.RawData], key.ExportPkcs8PrivateKey(), hint: null);
    }

    /// <summary>
    /// Issues a leaf signed by an extra intermediate that breaks a signing-certificate rule (not a CA, no
    /// keyCertSign, or a SPIFFE ID with a path). The returned chain holds leaf, extra intermediate and this CA's
    /// intermediate, if any; the extra intermediate is signed by this CA.
    /// </summary>
    /// <param name="id">The leaf's SPIFFE ID.</param>
    /// <param name="signerIsCa">Whether the extra intermediate has cA=true.</param>
    /// <param name="signerHasKeyCertSign">Whether the extra intermediate has the keyCertSign key usage.</param>
    /// <param name="signerId">A URI SAN for the extra intermediate (e.g. an ID with a path), or null for none.</param>
    public IssuedSvid IssueUnderBrokenSigner(string id, bool signerIsCa, bool signerHasKeyCertSign, string? signerId = null)
    {
        var now = _time.GetUtcNow();
        using var signerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signerRequest = CreateRequest($"CN=Broken signer {TrustDomain}", signerKey);
        signerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(signerIsCa, false, 0, true));
        var usages = X509KeyUsageFlags.DigitalSignature | (signerHasKeyCertSign ? X509KeyUsageFlags.KeyCertSign : X509KeyUsageFlags.None);
        signerRequest.CertificateExtensions.Add(new X509KeyUsageExtension(usages, true));
        if (signerId is not null)
        {
            signerRequest.CertificateExtensions.Add(BuildSan([signerId], [], critical: false));
        }

        signerRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(signerRequest.PublicKey, false));
        signerRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_issuer, true, false));
        using var signerPublic = Sign(signerRequest, _issuer, now.AddDays(-1), now.AddDays(30));
        using var signer = signerPublic.CopyWithPrivateKey(signerKey);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CreateRequest("O=SPIFFE", key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(BuildSan([id], [], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(signer, true, false));
        using var leaf = Sign(request, signer, now.AddMinutes(-1), now.AddHours(1));
        byte[][] chain = Intermediate is null ? [leaf.RawData, signer.RawData] : [leaf.RawData, signer.RawData, Intermediate.RawData];
        return new IssuedSvid(chain, key.ExportPkcs8PrivateKey(), hint: null);
    }

    /// <summary>
    /// Issues a leaf signed by an X.509 version 1 intermediate (no basic constraints, no key usage) that this CA
    /// signed: a signer that is not a CA. The chain holds leaf, v1 intermediate and this CA's intermediate, if any.
    /// </summary>
    public IssuedSvid IssueUnderVersion1Signer(string id)
    {
        var now = _time.GetUtcNow();
        using var signer = Version1Signer.Create(_issuer, $"CN=Version 1 signer {TrustDomain}", now.AddDays(-1), now.AddDays(30));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CreateRequest("O=SPIFFE", key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(BuildSan([id], [], critical: false));
        using var leaf = Sign(request, signer, now.AddMinutes(-1), now.AddHours(1));
        byte[][] chain = Intermediate is null ? [leaf.RawData, signer.RawData] : [leaf.RawData, signer.RawData, Intermediate.RawData];
        return new IssuedSvid(chain, key.ExportPkcs8PrivateKey(), hint: null);
    }

    /// <summary>
    /// Creates <paramref name="count"/> extra self-signed CA certificates for this trust domain, each with its own key:
    /// padding for oversized bundles (limit and cost tests). With <paramref name="sameSubjectAsRoot"/> they carry the
    /// root's subject name, so only the key identifiers tell them apart from the real root. The caller owns them.
    /// </summary>
    public X509Certificate2[] CreateExtraRoots(int count, bool sameSubjectAsRoot = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var now = _time.GetUtcNow();
        var result = new X509Certificate2[count];
        for (int i = 0; i < count; i++)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            string subject = sameSubjectAsRoot ? Root.Subject : $"CN=Extra Root {i} {TrustDomain}";
            var request = CreateRequest(subject, key);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
            result[i] = X509CertificateLoader.LoadCertificate(certificate.RawDataMemory.Span);
        }

        return result;
    }

    /// <summary>
    /// Issues a valid SVID for <paramref name="id"/> under a chain of <paramref name="extraIntermediates"/> further
    /// intermediates below this CA's issuer (each signed by the one above it): for chain-length limits. The chain holds
    /// leaf, the extra intermediates (lowest first) and this CA's intermediate, if any.
    /// </summary>
    public IssuedSvid IssueUnderIntermediates(string id, int extraIntermediates)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentOutOfRangeException.ThrowIfNegative(extraIntermediates);
        var now = _time.GetUtcNow();
        var signers = new List<X509Certificate2>();
        try
        {
            var issuer = _issuer;
            for (int i = 0; i < extraIntermediates; i++)
            {
                issuer = CreateCa($"CN=Extra Intermediate {i} {TrustDomain}", TrustDomain, TestKeyType.EcP256, issuer, now.AddDays(-1), now.AddDays(30));
                signers.Add(issuer);
            }

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = CreateRequest("O=SPIFFE", key);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(BuildSan([id], [], critical: false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            using var leaf = Sign(request, issuer, now.AddMinutes(-1), now.AddHours(1));
            var chain = new List<byte[]> { leaf.RawData };
            chain.AddRange(Enumerable.Reverse(signers).Select(s => s.RawData));
            if (Intermediate is not null)
            {
                chain.Add(Intermediate.RawData);
            }

            return new IssuedSvid([.. chain], key.ExportPkcs8PrivateKey(), hint: null);
        }
        finally
        {
            foreach (var signer in signers)
            {
                signer.Dispose();
            }
        }
    }

    /// <summary>Releases the CA's certificates and keys.</summary>
    public void Dispose()
    {
        Root.Dispose();
        Intermediate?.Dispose();
    }

    private static X509Certificate2 CreateCa(string subject, TrustDomain trustDomain, TestKeyType keyType, X509Certificate2? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = CreateKey(keyType);
        var request = CreateRequest(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(BuildSan([trustDomain.Id.ToString()], [], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(notBefore, notAfter);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var certificate = Sign(request, issuer, notBefore, notAfter);
        return key switch
        {
            ECDsa ec => certificate.CopyWithPrivateKey(ec),
            RSA rsa => certificate.CopyWithPrivateKey(rsa),
            _ => throw new NotSupportedException(key.GetType().Name),
        };
    }

    /// <summary>
    /// Signs with the issuer's key through a signature generator rather than <c>Create(issuerCertificate, ...)</c>,
    /// which refuses issuers that are not proper CAs, leaves outliving their issuer and mixed key types: exactly
    /// the certificates negative tests need.
    /// </summary>
    private static X509Certificate2 Sign(CertificateRequest request, X509Certificate2 issuer, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var ec = issuer.GetECDsaPrivateKey();
        using var rsa = ec is null ? issuer.GetRSAPrivateKey() : null;
        var generator = ec is not null
            ? X509SignatureGenerator.CreateForECDsa(ec)
            : X509SignatureGenerator.CreateForRSA(rsa ?? throw new ArgumentException("issuer has no EC or RSA private key", nameof(issuer)), RSASignaturePadding.Pkcs1);
        return request.Create(issuer.SubjectName, generator, notBefore, notAfter, NewSerial());
    }

    private static AsymmetricAlgorithm CreateKey(TestKeyType keyType) => keyType switch
    {
        TestKeyType.EcP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        TestKeyType.EcP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        TestKeyType.Rsa2048 => RSA.Create(2048),
        TestKeyType.Rsa3072 => RSA.Create(3072),
        _ => throw new ArgumentOutOfRangeException(nameof(keyType), keyType, "unknown key type"),
    };

    private static CertificateRequest CreateRequest(string subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(subject, ec, ec.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(key.GetType().Name),
    };

    private static X509Extension BuildSan(IEnumerable<string> uris, IEnumerable<string> dnsNames, bool critical)
    {
        // SubjectAlternativeNameBuilder cannot add a URI that System.Uri rejects; writing the ASN.1 directly lets
        // tests put any string (including invalid SPIFFE IDs) into the SAN.
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (string dns in dnsNames)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, dns, new Asn1Tag(TagClass.ContextSpecific, 2));
            }

            foreach (string uri in uris)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
            }
        }

        return new X509Extension("2.5.29.17", writer.Encode(), critical);
    }

    private static byte[] NewSerial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }
}
