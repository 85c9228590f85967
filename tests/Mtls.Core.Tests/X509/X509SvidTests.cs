using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Testing.Certificates;
using Mtls.X509;

namespace Mtls.Core.Tests.X509;

public sealed class X509SvidTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");

    [Fact]
    public void Parses_der_chain_with_intermediate_and_pkcs8_key()
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { Hint = "internal" });

        using var svid = X509Svid.Parse(issued.CertificatesDer, issued.PrivateKeyPkcs8, issued.Hint);

        Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
        Assert.True(svid.Certificate.HasPrivateKey);
        Assert.Equal(issued.ChainDer[0], svid.Certificate.RawData);
        Assert.Equal(_ca.Intermediate!.RawData, Assert.Single(svid.Intermediates).RawData);
        Assert.Equal("internal", svid.Hint);
        Assert.Equal(2, svid.GetChain().Count);
    }

    [Fact]
    public void Parses_pem_chain_and_key()
    {
        var issued = _ca.Issue("spiffe://example.org/web");

        using var svid = X509Svid.ParsePem(issued.CertificatesPem, issued.PrivateKeyPem);

        Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
        Assert.True(svid.Certificate.HasPrivateKey);
        Assert.Single(svid.Intermediates);
        Assert.Null(svid.Hint);
    }

    [Fact]
    public void Parses_leaf_signed_directly_by_the_root()
    {
        using var ca = TestCertificateAuthority.Create("example.org", withIntermediate: false);
        var issued = ca.Issue("spiffe://example.org/web");

        using var svid = issued.ToX509Svid();

        Assert.Empty(svid.Intermediates);
    }

    [Theory]
    [InlineData(TestKeyType.EcP256, KeyFormat.Pkcs8Der)]
    [InlineData(TestKeyType.EcP256, KeyFormat.Pkcs8Pem)]
    [InlineData(TestKeyType.EcP256, KeyFormat.LegacyDer)]
    [InlineData(TestKeyType.EcP256, KeyFormat.LegacyPem)]
    [InlineData(TestKeyType.EcP384, KeyFormat.Pkcs8Der)]
    [InlineData(TestKeyType.EcP384, KeyFormat.LegacyPem)]
    [InlineData(TestKeyType.Rsa2048, KeyFormat.Pkcs8Der)]
    [InlineData(TestKeyType.Rsa2048, KeyFormat.Pkcs8Pem)]
    [InlineData(TestKeyType.Rsa2048, KeyFormat.LegacyDer)]
    [InlineData(TestKeyType.Rsa2048, KeyFormat.LegacyPem)]
    public void Loads_private_key_in_every_supported_encoding(TestKeyType keyType, KeyFormat format)
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { KeyType = keyType });
        byte[] key = KeyEncodings.Encode(issued.PrivateKeyPkcs8, format);

        using var svid = KeyEncodings.IsPem(format)
            ? X509Svid.ParsePem(issued.CertificatesPem, Encoding.ASCII.GetString(key))
            : X509Svid.Parse(issued.CertificatesDer, key);

        byte[] data = [1, 2, 3];
        if (keyType == TestKeyType.Rsa2048)
        {
            using var rsa = svid.Certificate.GetRSAPrivateKey()!;
            byte[] signature = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
            using var publicKey = svid.Certificate.GetRSAPublicKey()!;
            Assert.True(publicKey.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        }
        else
        {
            using var ec = svid.Certificate.GetECDsaPrivateKey()!;
            byte[] signature = ec.SignData(data, HashAlgorithmName.SHA256);
            using var publicKey = svid.Certificate.GetECDsaPublicKey()!;
            Assert.True(publicKey.VerifyData(data, signature, HashAlgorithmName.SHA256));
        }
    }

    [Fact]
    public void Accepts_pem_key_preceded_by_ec_parameters_block()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        string key = PemEncoding.WriteString("EC PARAMETERS", [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]) + "\n"
            + Encoding.ASCII.GetString(KeyEncodings.Encode(issued.PrivateKeyPkcs8, KeyFormat.LegacyPem));

        using var svid = X509Svid.ParsePem(issued.CertificatesPem, key);

        Assert.True(svid.Certificate.HasPrivateKey);
    }

    [Theory]
    [MemberData(nameof(BrokenLeaves.Names), MemberType = typeof(BrokenLeaves))]
    public void Rejects_leaf_breaking_a_rule(string name)
    {
        var issued = BrokenLeaves.Issue(_ca, name);

        var der = Assert.Throws<X509SvidException>(() => X509Svid.Parse(issued.CertificatesDer, issued.PrivateKeyPkcs8));
        var pem = Assert.Throws<X509SvidException>(() => X509Svid.ParsePem(issued.CertificatesPem, issued.PrivateKeyPem));

        Assert.Equal(BrokenLeaves.ExpectedRule(name), der.Rule);
        Assert.Equal(BrokenLeaves.ExpectedRule(name), pem.Rule);
    }

    [Theory]
    [InlineData("ca_true_leaf", "leaf certificate has cA=true; an X509-SVID leaf must not be a CA")]
    [InlineData("key_cert_sign_leaf", "leaf certificate has the keyCertSign key usage")]
    [InlineData("crl_sign_leaf", "leaf certificate has the cRLSign key usage")]
    [InlineData("no_digital_signature", "leaf certificate lacks the digitalSignature key usage")]
    [InlineData("no_key_usage_extension", "leaf certificate has no key usage extension; an X509-SVID leaf needs one with digitalSignature")]
    [InlineData("zero_uri_sans", "leaf certificate has no URI SAN; an X509-SVID has exactly one")]
    [InlineData("two_uri_sans", "leaf certificate has 2 URI SANs; an X509-SVID has exactly one")]
    [InlineData("non_spiffe_uri", "leaf URI SAN 'https://example.org/web' is not a valid SPIFFE ID")]
    [InlineData("root_path_id", "leaf SPIFFE ID 'spiffe://example.org' has no path; a workload ID needs one")]
    [InlineData("empty_subject_non_critical_san", "leaf has an empty Subject, so its URI SAN extension must be critical")]
    public void Explains_the_broken_leaf_rule(string name, string message)
    {
        var issued = BrokenLeaves.Issue(_ca, name);

        var error = Assert.Throws<X509SvidException>(() => issued.ToX509Svid());

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Accepts_empty_subject_with_critical_san()
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { Subject = "", SanCritical = true });

        using var svid = issued.ToX509Svid();

        Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
        Assert.Equal(2, svid.Certificate.SubjectName.RawData.Length);
    }

    [Fact]
    public void Accepts_leaf_with_dns_sans_next_to_the_uri_san()
    {
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { DnsNames = ["web.example.org", "localhost"] });

        using var svid = issued.ToX509Svid();

        Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
    }

    [Fact]
    public void Rejects_signing_certificate_without_ca_flag()
    {
        var issued = _ca.IssueUnderBrokenSigner("spiffe://example.org/web", signerIsCa: false, signerHasKeyCertSign: true);

        var error = Assert.Throws<X509SvidException>(() => issued.ToX509Svid());

        Assert.Equal(X509SvidRule.SigningCertificateNotCa, error.Rule);
        Assert.Contains("Broken signer example.org", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_version_1_signing_certificate()
    {
        var issued = _ca.IssueUnderVersion1Signer("spiffe://example.org/web");

        var error = Assert.Throws<X509SvidException>(() => issued.ToX509Svid());

        Assert.Equal(X509SvidRule.SigningCertificateNotCa, error.Rule);
    }

    [Fact]
    public void Rejects_signing_certificate_without_key_cert_sign()
    {
        var issued = _ca.IssueUnderBrokenSigner("spiffe://example.org/web", signerIsCa: true, signerHasKeyCertSign: false);

        var error = Assert.Throws<X509SvidException>(() => issued.ToX509Svid());

        Assert.Equal(X509SvidRule.SigningCertificateMissingKeyCertSign, error.Rule);
    }

    [Fact]
    public void Rejects_signing_certificate_whose_spiffe_id_has_a_path()
    {
        var issued = _ca.IssueUnderBrokenSigner("spiffe://example.org/web", signerIsCa: true, signerHasKeyCertSign: true, signerId: "spiffe://example.org/ca");

        var error = Assert.Throws<X509SvidException>(() => issued.ToX509Svid());

        Assert.Equal(X509SvidRule.SigningCertificateIdHasPath, error.Rule);
    }

    [Fact]
    public void Accepts_signing_certificate_carrying_its_trust_domain_id()
    {
        var issued = _ca.IssueUnderBrokenSigner("spiffe://example.org/web", signerIsCa: true, signerHasKeyCertSign: true, signerId: "spiffe://example.org");

        using var svid = issued.ToX509Svid();

        Assert.Equal(2, svid.Intermediates.Count);
    }

    [Fact]
    public void Rejects_private_key_of_another_svid()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        var other = _ca.Issue("spiffe://example.org/web");

        var der = Assert.Throws<X509SvidException>(() => X509Svid.Parse(issued.CertificatesDer, other.PrivateKeyPkcs8));
        var pem = Assert.Throws<X509SvidException>(() => X509Svid.ParsePem(issued.CertificatesPem, other.PrivateKeyPem));

        Assert.Equal(X509SvidRule.KeyMismatch, der.Rule);
        Assert.Equal("private key does not match the leaf certificate's public key", der.Message);
        Assert.Equal(X509SvidRule.KeyMismatch, pem.Rule);
    }

    [Fact]
    public void Rejects_rsa_key_for_ec_leaf()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        var rsa = _ca.Issue("spiffe://example.org/web", new SvidSpec { KeyType = TestKeyType.Rsa2048 });

        var error = Assert.Throws<X509SvidException>(() => X509Svid.Parse(issued.CertificatesDer, rsa.PrivateKeyPkcs8));

        Assert.Equal(X509SvidRule.KeyMismatch, error.Rule);
        Assert.StartsWith("private key cannot be read as a key for the leaf's ECC public key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_missing_private_key()
    {
        var issued = _ca.Issue("spiffe://example.org/web");

        var der = Assert.Throws<X509SvidException>(() => X509Svid.Parse(issued.CertificatesDer, []));
        var pem = Assert.Throws<X509SvidException>(() => X509Svid.ParsePem(issued.CertificatesPem, "  "));

        Assert.Equal(X509SvidRule.KeyMismatch, der.Rule);
        Assert.Equal("private key is missing", der.Message);
        Assert.Equal(X509SvidRule.KeyMismatch, pem.Rule);
    }

    [Fact]
    public void Rejects_private_key_with_trailing_bytes()
    {
        var issued = _ca.Issue("spiffe://example.org/web");

        var error = Assert.Throws<X509SvidException>(() => X509Svid.Parse(issued.CertificatesDer, [.. issued.PrivateKeyPkcs8, 0]));

        Assert.Equal(X509SvidRule.KeyMismatch, error.Rule);
        Assert.Contains("1 trailing bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_empty_certificate_chain()
    {
        var issued = _ca.Issue("spiffe://example.org/web");

        var der = Assert.Throws<X509SvidException>(() => X509Svid.Parse([], issued.PrivateKeyPkcs8));
        var pem = Assert.Throws<X509SvidException>(() => X509Svid.ParsePem(issued.PrivateKeyPem, issued.PrivateKeyPem));

        Assert.Equal(X509SvidRule.MalformedCertificate, der.Rule);
        Assert.Equal("X509-SVID has no certificate", der.Message);
        Assert.Equal(X509SvidRule.MalformedCertificate, pem.Rule);
    }

    [Fact]
    public void Rejects_bytes_that_are_not_der_certificates()
    {
        var issued = _ca.Issue("spiffe://example.org/web");

        var error = Assert.Throws<X509SvidException>(() => X509Svid.Parse([.. issued.CertificatesDer, 0x30, 0x03, 0x02], issued.PrivateKeyPkcs8));

        Assert.Equal(X509SvidRule.MalformedCertificate, error.Rule);
        Assert.StartsWith("X509-SVID: certificate 3 is not valid DER", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_pem_certificate_that_does_not_decode()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        string broken = PemEncoding.WriteString("CERTIFICATE", [0x30, 0x03, 0x02, 0x01, 0x00]);

        var error = Assert.Throws<X509SvidException>(() => X509Svid.ParsePem(broken, issued.PrivateKeyPem));

        Assert.Equal(X509SvidRule.MalformedCertificate, error.Rule);
    }

    [Fact]
    public void Loads_pem_files()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        string directory = Directory.CreateTempSubdirectory("mtls-svid-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "tls.crt"), issued.CertificatesPem);
            File.WriteAllText(Path.Combine(directory, "tls.key"), issued.PrivateKeyPem);

            using var svid = X509Svid.LoadPemFiles(Path.Combine(directory, "tls.crt"), Path.Combine(directory, "tls.key"));

            Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ChainToPem_round_trips_the_chain_without_the_key()
    {
        var issued = _ca.Issue("spiffe://example.org/web");
        using var svid = issued.ToX509Svid();

        string pem = svid.ChainToPem();

        Assert.DoesNotContain("PRIVATE KEY", pem, StringComparison.Ordinal);
        using var again = X509Svid.ParsePem(pem, issued.PrivateKeyPem);
        Assert.Equal(svid.Certificate.RawData, again.Certificate.RawData);
        Assert.Equal(svid.Intermediates[0].RawData, again.Intermediates[0].RawData);
    }

    [Fact]
    public void Exposes_validity_period_in_utc()
    {
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = notBefore.AddHours(2);
        var issued = _ca.Issue("spiffe://example.org/web", new SvidSpec { NotBefore = notBefore, NotAfter = notAfter });

        using var svid = issued.ToX509Svid();

        Assert.Equal(TimeSpan.Zero, svid.NotAfter.Offset);
        Assert.InRange(svid.NotBefore - notBefore, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1));
        Assert.InRange(svid.NotAfter - notAfter, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1));
    }

    public void Dispose() => _ca.Dispose();
}
