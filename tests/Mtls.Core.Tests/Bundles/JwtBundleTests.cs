using System.Security.Cryptography;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Testing.Jwt;

namespace Mtls.Core.Tests.Bundles;

public sealed class JwtBundleTests
{
    private static readonly TrustDomain ExampleOrg = TrustDomain.Parse("example.org");

    [Fact]
    public void Round_trips_ec_and_rsa_authorities_through_jwks()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        var bundle = new JwtBundle(ExampleOrg, [JwtAuthority.Create("ec", ec), JwtAuthority.Create("rsa", rsa)]);

        var parsed = JwtBundle.Parse(ExampleOrg, bundle.ToJwks());

        Assert.Equal(["ec", "rsa"], parsed.Authorities.Select(a => a.KeyId));
        Assert.Equal("P-384", parsed.Authorities[0].Curve);
        Assert.Equal(JwtAuthority.RsaKeyType, parsed.Authorities[1].KeyType);
        Assert.Equal(bundle.Authorities.Select(a => a.ToJwk()), parsed.Authorities.Select(a => a.ToJwk()));
    }

    [Fact]
    public void Accepts_keys_without_use_as_spire_sends_them_in_fetch_jwt_bundles()
    {
        using var issuer = TestJwtIssuer.Create("example.org", keyId: "k1");
        string jwks = issuer.ToJwks().Replace("\"use\": \"jwt-svid\",", string.Empty, StringComparison.Ordinal);
        Assert.DoesNotContain("\"use\"", jwks, StringComparison.Ordinal);

        var bundle = JwtBundle.Parse(ExampleOrg, jwks);

        Assert.True(bundle.TryGetAuthority("k1", out _));
    }

    [Fact]
    public void Ignores_keys_whose_use_is_not_jwt_svid()
    {
        string jwks = """
            {"keys":[
              {"use":"x509-svid","kty":"EC","crv":"P-256","x5c":["AA=="]},
              {"use":"sig","kid":"sig","kty":"EC","crv":"P-256","x":"AA","y":"AA"},
              KEY
            ]}
            """.Replace("KEY", Key("jwt", "jwt-svid"), StringComparison.Ordinal);

        var bundle = JwtBundle.Parse(ExampleOrg, jwks);

        Assert.Equal(["jwt"], bundle.Authorities.Select(a => a.KeyId));
    }

    [Fact]
    public void Ignores_unknown_key_types_and_curves()
    {
        string jwks = $$"""
            {"keys":[
              {"use":"jwt-svid","kid":"okp","kty":"OKP","crv":"Ed25519","x":"AA"},
              {"use":"jwt-svid","kid":"oct","kty":"oct","k":"c2VjcmV0"},
              {"use":"jwt-svid","kid":"k1","kty":"EC","crv":"secp256k1","x":"AA","y":"AA"},
              {{Key("ok", "jwt-svid")}}
            ]}
            """;

        Assert.Equal(["ok"], JwtBundle.Parse(ExampleOrg, jwks).Authorities.Select(a => a.KeyId));
    }

    [Fact]
    public void Rejects_jwt_key_without_kid()
    {
        string jwks = """{"keys":[{"use":"jwt-svid","kty":"EC","crv":"P-256","x":"X","y":"Y"}]}""".Replace("\"x\":\"X\",\"y\":\"Y\"", EcPoint(), StringComparison.Ordinal);

        Assert.Equal(BundleFormatRule.MissingKeyId, Assert.Throws<BundleFormatException>(() => JwtBundle.Parse(ExampleOrg, jwks)).Rule);
    }

    [Fact]
    public void Rejects_duplicate_kid()
    {
        string jwks = $$"""{"keys":[{{Key("same", "jwt-svid")}},{{Key("same", "jwt-svid")}}]}""";

        Assert.Equal(BundleFormatRule.DuplicateKeyId, Assert.Throws<BundleFormatException>(() => JwtBundle.Parse(ExampleOrg, jwks)).Rule);
    }

    [Fact]
    public void Rejects_ec_point_not_on_the_curve()
    {
        string jwks = """{"keys":[{"use":"jwt-svid","kid":"bad","kty":"EC","crv":"P-256","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}""";

        Assert.Equal(BundleFormatRule.InvalidKey, Assert.Throws<BundleFormatException>(() => JwtBundle.Parse(ExampleOrg, jwks)).Rule);
    }

    [Theory]
    [InlineData("not json", BundleFormatRule.MalformedJson)]
    [InlineData("[]", BundleFormatRule.MalformedJson)]
    [InlineData("""{"keys":[],"keys":[]}""", BundleFormatRule.MalformedJson)]
    [InlineData("{}", BundleFormatRule.MissingKeys)]
    [InlineData("""{"keys":{}}""", BundleFormatRule.MissingKeys)]
    [InlineData("""{"keys":[42]}""", BundleFormatRule.MalformedKey)]
    [InlineData("""{"keys":[{"use":7}]}""", BundleFormatRule.MalformedKey)]
    public void Rejects_malformed_documents(string jwks, BundleFormatRule rule)
    {
        Assert.Equal(rule, Assert.Throws<BundleFormatException>(() => JwtBundle.Parse(ExampleOrg, jwks)).Rule);
    }

    [Fact]
    public void Empty_keys_give_an_empty_bundle()
    {
        Assert.True(JwtBundle.Parse(ExampleOrg, """{"keys":[]}""").IsEmpty);
    }

    [Fact]
    public void With_and_without_authority_leave_the_original_unchanged()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var empty = new JwtBundle(ExampleOrg, []);

        var one = empty.WithAuthority(JwtAuthority.Create("k", key));

        Assert.True(empty.IsEmpty);
        Assert.True(one.TryGetAuthority("k", out _));
        Assert.True(one.WithoutAuthority("k").IsEmpty);
    }

    [Fact]
    public void Authority_supports_only_the_algorithms_of_its_key_type_and_curve()
    {
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        var ec = JwtAuthority.Create("ec", p256);
        var rs = JwtAuthority.Create("rsa", rsa);

        Assert.Equal([JwtSvidAlgorithm.ES256], Enum.GetValues<JwtSvidAlgorithm>().Where(ec.Supports));
        Assert.Equal(
            [JwtSvidAlgorithm.RS256, JwtSvidAlgorithm.RS384, JwtSvidAlgorithm.RS512, JwtSvidAlgorithm.PS256, JwtSvidAlgorithm.PS384, JwtSvidAlgorithm.PS512],
            Enum.GetValues<JwtSvidAlgorithm>().Where(rs.Supports));
    }

    [Fact]
    public void Bundle_set_answers_only_for_its_trust_domains()
    {
        var bundle = new JwtBundle(ExampleOrg, []);
        var set = new JwtBundleSet([bundle]);

        Assert.Same(bundle, set.GetJwtBundle(ExampleOrg));
        Assert.Null(set.GetJwtBundle(TrustDomain.Parse("other.org")));
        Assert.Null(set.Without(ExampleOrg).GetJwtBundle(ExampleOrg));
    }

    private static string Key(string kid, string use)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return JwtAuthority.Create(kid, key).ToJwk(use);
    }

    private static string EcPoint()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        return $"\"x\":\"{System.Buffers.Text.Base64Url.EncodeToString(q.X)}\",\"y\":\"{System.Buffers.Text.Base64Url.EncodeToString(q.Y)}\"";
    }
}
