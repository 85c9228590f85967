using System.Security.Cryptography;
using System.Text.Json;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;
using Mtls.X509;

namespace Mtls.Core.Tests.Bundles;

public sealed class SpiffeBundleTests(SpiffeBundleTests.Authorities authorities) : IClassFixture<SpiffeBundleTests.Authorities>
{
    private static readonly TrustDomain ExampleOrg = TrustDomain.Parse("example.org");
    private readonly TestCertificateAuthority _ca = authorities.Ca;
    private readonly TestCertificateAuthority _rsaCa = authorities.RsaCa;
    private readonly TestJwtIssuer _issuer = authorities.Issuer;

    private SpiffeBundle FullBundle() =>
        new(ExampleOrg, [_ca.Root, _rsaCa.Root], _issuer.Bundle.Authorities, sequenceNumber: 42, refreshHint: TimeSpan.FromMinutes(5));

    [Fact]
    public void Round_trips_x509_and_jwt_authorities_sequence_and_refresh_hint()
    {
        var bundle = FullBundle();

        string json = bundle.ToJson();
        var parsed = SpiffeBundle.Parse(ExampleOrg, json);

        Assert.Equal(bundle.X509Authorities.Select(c => c.Thumbprint), parsed.X509Authorities.Select(c => c.Thumbprint));
        Assert.Equal(["jwt-1"], parsed.JwtBundle.Authorities.Select(a => a.KeyId));
        Assert.Equal(42UL, parsed.SequenceNumber);
        Assert.Equal(TimeSpan.FromMinutes(5), parsed.RefreshHint);
        Assert.Equal(json, parsed.ToJson());
    }

    [Fact]
    public void Writes_the_spiffe_bundle_format()
    {
        using var document = JsonDocument.Parse(FullBundle().ToJson());
        var root = document.RootElement;
        var keys = root.GetProperty("keys").EnumerateArray().ToArray();

        Assert.Equal(42UL, root.GetProperty("spiffe_sequence").GetUInt64());
        Assert.Equal(300, root.GetProperty("spiffe_refresh_hint").GetInt64());
        Assert.Equal(["x509-svid", "x509-svid", "jwt-svid"], keys.Select(k => k.GetProperty("use").GetString()));
        Assert.Equal(["EC", "RSA", "EC"], keys.Select(k => k.GetProperty("kty").GetString()));
        Assert.Equal(Convert.ToBase64String(_ca.Root.RawData), keys[0].GetProperty("x5c")[0].GetString());
        Assert.Equal("jwt-1", keys[2].GetProperty("kid").GetString());
        Assert.False(keys[0].TryGetProperty("kid", out _));
    }

    [Fact]
    public void Omits_sequence_and_refresh_hint_when_unset()
    {
        string json = new SpiffeBundle(ExampleOrg, [_ca.Root], []).ToJson();
        var parsed = SpiffeBundle.Parse(ExampleOrg, json);

        Assert.DoesNotContain("spiffe_", json, StringComparison.Ordinal);
        Assert.Null(parsed.SequenceNumber);
        Assert.Null(parsed.RefreshHint);
    }

    [Fact]
    public void Takes_the_first_x5c_certificate_and_ignores_extra_entries()
    {
        string json = $$"""
            {"keys":[{"use":"x509-svid","kty":"EC","x5c":["{{Convert.ToBase64String(_ca.Root.RawData)}}","{{Convert.ToBase64String(_rsaCa.Root.RawData)}}"]}]}
            """;

        var parsed = SpiffeBundle.Parse(ExampleOrg, json);

        Assert.Equal([_ca.Root.Thumbprint], parsed.X509Authorities.Select(c => c.Thumbprint));
    }

    [Fact]
    public void Ignores_keys_with_unknown_use_no_use_or_unknown_key_type_and_keeps_the_rest()
    {
        string root = Convert.ToBase64String(_ca.Root.RawData);
        string json = $$"""
            {"spiffe_sequence":1,"keys":[
              {"use":"wit-svid","kty":"EC","kid":"w","x5c":["{{root}}"]},
              {"kty":"EC","kid":"nouse","x5c":["{{root}}"]},
              {"use":"X509-SVID","kty":"EC","x5c":["{{root}}"]},
              {"use":"x509-svid","kty":"OKP","x5c":["not even base64"]},
              {"use":"jwt-svid","kty":"OKP","crv":"Ed25519","kid":"ed","x":"AA"},
              {"use":"x509-svid","kty":"EC","x5c":["{{root}}"]},
              {{_issuer.Bundle.Authorities[0].ToJwk()}}
            ]}
            """;

        var parsed = SpiffeBundle.Parse(ExampleOrg, json);

        Assert.Equal([_ca.Root.Thumbprint], parsed.X509Authorities.Select(c => c.Thumbprint));
        Assert.Equal(["jwt-1"], parsed.JwtBundle.Authorities.Select(a => a.KeyId));
    }

    [Fact]
    public void Empty_keys_trust_nothing()
    {
        var parsed = SpiffeBundle.Parse(ExampleOrg, """{"spiffe_sequence":3,"keys":[]}""");
        using var leaf = _ca.Issue("spiffe://example.org/web").LoadLeaf();
        var verifier = new X509SvidVerifier(new X509BundleSet([parsed.ToX509Bundle()]));

        Assert.True(parsed.IsEmpty);
        Assert.Equal(X509SvidRule.ChainNotTrusted, Assert.Throws<X509SvidException>(() => verifier.Verify(leaf, _ca.Issue("spiffe://example.org/web").LoadIntermediates())).Rule);
    }

    [Fact]
    public void Parsed_x509_authorities_verify_svids_of_the_trust_domain()
    {
        var parsed = SpiffeBundle.Parse(ExampleOrg, FullBundle().ToJson());
        var issued = _ca.Issue("spiffe://example.org/web");
        using var leaf = issued.LoadLeaf();
        var verifier = new X509SvidVerifier(new X509BundleSet([parsed.ToX509Bundle()]));

        Assert.Equal("spiffe://example.org/web", verifier.Verify(leaf, issued.LoadIntermediates()).ToString());
    }

    [Fact]
    public void Parsed_jwt_authorities_validate_jwt_svids_of_the_trust_domain()
    {
        var parsed = SpiffeBundle.Parse(ExampleOrg, FullBundle().ToJson());
        var validator = new JwtSvidValidator(new JwtBundleSet([parsed.ToJwtBundle()]));

        var svid = validator.Validate(_issuer.IssueToken("spiffe://example.org/web", "api"), "api");

        Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
    }

    [Fact]
    public void From_bundles_combines_x509_and_jwt_bundles()
    {
        var bundle = SpiffeBundle.FromBundles(_ca.CreateBundle(), _issuer.Bundle, sequenceNumber: 7);

        Assert.Equal([_ca.Root.Thumbprint], bundle.X509Authorities.Select(c => c.Thumbprint));
        Assert.Same(_issuer.Bundle, bundle.ToJwtBundle());
        Assert.Equal(7UL, bundle.SequenceNumber);
    }

    [Fact]
    public void From_bundles_rejects_bundles_of_different_trust_domains()
    {
        using var other = TestJwtIssuer.Create("other.org");

        Assert.Throws<ArgumentException>(() => SpiffeBundle.FromBundles(_ca.CreateBundle(), other.Bundle));
    }

    [Fact]
    public void To_x509_bundle_returns_copies_the_caller_may_dispose()
    {
        var bundle = FullBundle();

        foreach (var certificate in bundle.ToX509Bundle().Authorities)
        {
            certificate.Dispose();
        }

        Assert.Equal(_ca.Root.Thumbprint, bundle.X509Authorities[0].Thumbprint);
    }

    [Theory]
    [InlineData("""{"keys":[{"use":"x509-svid","kty":"EC"}]}""", BundleFormatRule.MissingCertificate)]
    [InlineData("""{"keys":[{"use":"x509-svid","kty":"EC","x5c":[]}]}""", BundleFormatRule.MissingCertificate)]
    [InlineData("""{"keys":[{"use":"x509-svid","kty":"EC","x5c":"AA=="}]}""", BundleFormatRule.MalformedKey)]
    [InlineData("""{"keys":[{"use":"x509-svid","kty":"EC","x5c":["not base64!"]}]}""", BundleFormatRule.InvalidCertificate)]
    [InlineData("""{"keys":[{"use":"x509-svid","kty":"EC","x5c":["AAAA"]}]}""", BundleFormatRule.InvalidCertificate)]
    [InlineData("""{"keys":[{"use":"jwt-svid","kty":"RSA","kid":"r","n":"AQAB"}]}""", BundleFormatRule.InvalidKey)]
    [InlineData("""{"spiffe_sequence":-1,"keys":[]}""", BundleFormatRule.InvalidSequenceNumber)]
    [InlineData("""{"spiffe_sequence":"1","keys":[]}""", BundleFormatRule.InvalidSequenceNumber)]
    [InlineData("""{"spiffe_sequence":1.5,"keys":[]}""", BundleFormatRule.InvalidSequenceNumber)]
    [InlineData("""{"spiffe_refresh_hint":-60,"keys":[]}""", BundleFormatRule.InvalidRefreshHint)]
    [InlineData("""{"spiffe_refresh_hint":"5m","keys":[]}""", BundleFormatRule.InvalidRefreshHint)]
    [InlineData("""{"spiffe_sequence":1}""", BundleFormatRule.MissingKeys)]
    [InlineData("""{"keys":[]""", BundleFormatRule.MalformedJson)]
    public void Rejects_documents_breaking_a_rule(string json, BundleFormatRule rule)
    {
        Assert.Equal(rule, Assert.Throws<BundleFormatException>(() => SpiffeBundle.Parse(ExampleOrg, json)).Rule);
    }

    [Fact]
    public void Rejects_jwt_svid_key_without_kid()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string jwk = JwtAuthority.Create("k", key).ToJwk().Replace("\"kid\":\"k\",", string.Empty, StringComparison.Ordinal);

        var error = Assert.Throws<BundleFormatException>(() => SpiffeBundle.Parse(ExampleOrg, $$"""{"keys":[{{jwk}}]}"""));

        Assert.Equal(BundleFormatRule.MissingKeyId, error.Rule);
        Assert.Contains("keys[0]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_the_largest_sequence_number()
    {
        Assert.Equal(ulong.MaxValue, SpiffeBundle.Parse(ExampleOrg, $$"""{"spiffe_sequence":{{ulong.MaxValue}},"keys":[]}""").SequenceNumber);
    }

    /// <summary>Keys are slow to generate (RSA especially) and no test changes them: one set for the class.</summary>
    public sealed class Authorities : IDisposable
    {
        public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("example.org");

        public TestCertificateAuthority RsaCa { get; } = TestCertificateAuthority.Create("example.org", withIntermediate: false, keyType: TestKeyType.Rsa2048);

        public TestJwtIssuer Issuer { get; } = TestJwtIssuer.Create("example.org", keyId: "jwt-1");

        public void Dispose()
        {
            Ca.Dispose();
            RsaCa.Dispose();
            Issuer.Dispose();
        }
    }
}
