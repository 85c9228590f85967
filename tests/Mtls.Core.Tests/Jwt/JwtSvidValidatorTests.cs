using Microsoft.Extensions.Time.Testing;
using Mtls.Bundles;
using Mtls.Jwt;
using Mtls.Testing.Jwt;

namespace Mtls.Core.Tests.Jwt;

public sealed class JwtSvidValidatorTests : IDisposable
{
    private const string Web = "spiffe://example.org/web";
    private const string Audience = "api";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TestJwtIssuer _issuer;
    private readonly TestJwtIssuer _other;

    public JwtSvidValidatorTests()
    {
        _issuer = TestJwtIssuer.Create("example.org", time: _time);
        _other = TestJwtIssuer.Create("other.org", time: _time);
    }

    private JwtSvidValidator Validator(params TestJwtIssuer[] issuers) =>
        new(new JwtBundleSet(issuers.Length == 0 ? [_issuer.Bundle, _other.Bundle] : issuers.Select(i => i.Bundle)), _time);

    private JwtSvidRule Rejection(string token, string audience = Audience) =>
        Assert.Throws<JwtSvidException>(() => Validator().Validate(token, audience)).Rule;

    [Fact]
    public void Accepts_es256_token_with_kid_and_returns_its_claims()
    {
        string token = _issuer.IssueToken(Web, [Audience, "other"], new JwtSvidSpec { Ttl = TimeSpan.FromMinutes(10) });

        var svid = Validator().Validate(token, Audience);

        Assert.Equal(Web, svid.Id.ToString());
        Assert.Equal(["api", "other"], svid.Audience);
        Assert.Equal(_time.GetUtcNow().AddMinutes(10), svid.Expiry);
        Assert.Equal(_time.GetUtcNow(), svid.IssuedAt);
        Assert.Equal(token, svid.Token);
        Assert.Equal(Web, svid.Claims["sub"].GetString());
    }

    [Fact]
    public void Accepts_token_without_kid_by_trying_the_trust_domains_keys()
    {
        _issuer.RotateKey();
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { IncludeKeyId = false });

        Assert.Equal(Web, Validator().Validate(token, Audience).Id.ToString());
    }

    [Fact]
    public void Accepts_aud_as_a_single_string()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { AudienceAsString = true });

        Assert.Equal([Audience], Validator().Validate(token, Audience).Audience);
    }

    [Theory]
    [InlineData(JwtSvidAlgorithm.ES256)]
    [InlineData(JwtSvidAlgorithm.ES384)]
    [InlineData(JwtSvidAlgorithm.ES512)]
    [InlineData(JwtSvidAlgorithm.RS256)]
    [InlineData(JwtSvidAlgorithm.RS512)]
    [InlineData(JwtSvidAlgorithm.PS256)]
    [InlineData(JwtSvidAlgorithm.PS384)]
    public void Accepts_every_allowed_algorithm(JwtSvidAlgorithm algorithm)
    {
        using var issuer = TestJwtIssuer.Create("example.org", algorithm, time: _time);

        var svid = Validator(issuer).Validate(issuer.IssueToken(Web, Audience), Audience);

        Assert.Equal(Web, svid.Id.ToString());
    }

    [Fact]
    public void Accepts_token_signed_with_a_rotated_out_key_still_in_the_bundle()
    {
        string before = _issuer.IssueToken(Web, Audience);
        _issuer.RotateKey();

        Assert.Equal(Web, Validator().Validate(before, Audience).Id.ToString());
    }

    [Fact]
    public void Accepts_nbf_in_the_past()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { NotBefore = _time.GetUtcNow().AddSeconds(-1) });

        Assert.Equal(Web, Validator().Validate(token, Audience).Id.ToString());
    }

    [Fact]
    public void Rejects_expired_token()
    {
        string token = _issuer.IssueToken(Web, Audience, TimeSpan.FromMinutes(1));
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(JwtSvidRule.Expired, Rejection(token));
    }

    [Fact]
    public void Rejects_wrong_audience()
    {
        Assert.Equal(JwtSvidRule.WrongAudience, Rejection(_issuer.IssueToken(Web, "billing")));
    }

    [Fact]
    public void Rejects_empty_audience_array()
    {
        Assert.Equal(JwtSvidRule.WrongAudience, Rejection(_issuer.IssueToken(Web, [])));
    }

    [Fact]
    public void Rejects_unknown_kid()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { KeyId = "not-in-bundle" });

        Assert.Equal(JwtSvidRule.UnknownKey, Rejection(token));
    }

    [Fact]
    public void Rejects_token_whose_key_was_removed_from_the_bundle()
    {
        string token = _issuer.IssueToken(Web, Audience);
        _issuer.RotateKey();
        _issuer.RemoveKey(_issuer.Bundle.Authorities[0].KeyId);

        Assert.Equal(JwtSvidRule.UnknownKey, Rejection(token));
    }

    [Fact]
    public void Rejects_token_without_kid_when_the_bundle_is_empty()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { IncludeKeyId = false });
        var validator = new JwtSvidValidator(new JwtBundleSet([new JwtBundle(_issuer.TrustDomain, [])]), _time);

        Assert.Equal(JwtSvidRule.UnknownKey, Assert.Throws<JwtSvidException>(() => validator.Validate(token, Audience)).Rule);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("HS256")]
    [InlineData("HS384")]
    [InlineData("HS512")]
    [InlineData("EdDSA")]
    [InlineData("es256")]
    [InlineData("RS1")]
    public void Rejects_algorithm_outside_the_allow_list(string alg)
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = alg });

        Assert.Equal(JwtSvidRule.UnsupportedAlgorithm, Rejection(token));
    }

    [Fact]
    public void Rejects_header_without_alg()
    {
        string token = Reencode(_issuer.IssueToken(Web, Audience), header: """{"typ":"JWT"}""");

        Assert.Equal(JwtSvidRule.UnsupportedAlgorithm, Rejection(token));
    }

    [Fact]
    public void Rejects_es256_header_on_a_p384_key()
    {
        using var issuer = TestJwtIssuer.Create("example.org", JwtSvidAlgorithm.ES384, time: _time);
        string token = issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = "ES256" });

        Assert.Equal(JwtSvidRule.AlgorithmKeyMismatch, Assert.Throws<JwtSvidException>(() => Validator(issuer).Validate(token, Audience)).Rule);
    }

    [Fact]
    public void Rejects_rs256_header_on_an_ec_key()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = "RS256" });

        Assert.Equal(JwtSvidRule.AlgorithmKeyMismatch, Rejection(token));
    }

    [Fact]
    public void Rejects_es256_header_on_an_rsa_key()
    {
        using var issuer = TestJwtIssuer.Create("example.org", JwtSvidAlgorithm.RS256, time: _time);
        string token = issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = "ES256" });

        Assert.Equal(JwtSvidRule.AlgorithmKeyMismatch, Assert.Throws<JwtSvidException>(() => Validator(issuer).Validate(token, Audience)).Rule);
    }

    [Fact]
    public void Rejects_token_without_kid_when_no_key_of_the_bundle_fits_the_algorithm()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = "PS256", IncludeKeyId = false });

        Assert.Equal(JwtSvidRule.AlgorithmKeyMismatch, Rejection(token));
    }

    [Fact]
    public void Rejects_ps256_signature_presented_as_rs256()
    {
        using var issuer = TestJwtIssuer.Create("example.org", JwtSvidAlgorithm.PS256, time: _time);
        string token = issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = "RS256" });

        Assert.Equal(JwtSvidRule.BadSignature, Assert.Throws<JwtSvidException>(() => Validator(issuer).Validate(token, Audience)).Rule);
    }

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("jwt")]
    [InlineData("")]
    public void Rejects_typ_other_than_jwt_or_jose(string typ)
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Type = typ });

        Assert.Equal(JwtSvidRule.BadTyp, Rejection(token));
    }

    [Theory]
    [InlineData("JOSE")]
    [InlineData(null)]
    public void Accepts_typ_jose_or_absent(string? typ)
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Type = typ });

        Assert.Equal(Web, Validator().Validate(token, Audience).Id.ToString());
    }

    [Fact]
    public void Rejects_unknown_crit_header()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Critical = ["exp-ext"] });

        Assert.Equal(JwtSvidRule.UnknownCrit, Rejection(token));
    }

    [Fact]
    public void Rejects_json_serialization()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { JsonSerialization = true });

        Assert.Equal(JwtSvidRule.NotCompact, Rejection(token));
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("a.b.c.d.e")]
    [InlineData("")]
    public void Rejects_token_without_exactly_three_parts(string token)
    {
        Assert.Equal(JwtSvidRule.NotCompact, Rejection(token));
    }

    [Fact]
    public void Rejects_nbf_in_the_future()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { NotBefore = _time.GetUtcNow().AddMinutes(1) });

        Assert.Equal(JwtSvidRule.NotYetValid, Rejection(token));
    }

    [Fact]
    public void Rejects_missing_exp()
    {
        Assert.Equal(JwtSvidRule.MissingExp, Rejection(_issuer.IssueToken(Web, [Audience], new JwtSvidSpec { OmitExpiry = true })));
    }

    [Fact]
    public void Rejects_missing_aud()
    {
        Assert.Equal(JwtSvidRule.MissingAud, Rejection(_issuer.IssueToken(Web, [Audience], new JwtSvidSpec { OmitAudience = true })));
    }

    [Fact]
    public void Rejects_missing_sub()
    {
        Assert.Equal(JwtSvidRule.MissingSub, Rejection(_issuer.IssueToken(Web, [Audience], new JwtSvidSpec { OmitSubject = true })));
    }

    [Theory]
    [InlineData("https://example.org/web")]
    [InlineData("spiffe://Example.org/web")]
    [InlineData("web")]
    public void Rejects_sub_that_is_not_a_spiffe_id(string sub)
    {
        Assert.Equal(JwtSvidRule.InvalidSub, Rejection(_issuer.IssueToken(sub, Audience)));
    }

    [Fact]
    public void Rejects_sub_of_another_trust_domain_signed_with_this_trust_domains_key()
    {
        string token = _issuer.IssueToken("spiffe://other.org/billing", Audience);

        Assert.Equal(JwtSvidRule.UnknownKey, Rejection(token));
    }

    [Fact]
    public void Rejects_sub_of_another_trust_domain_signed_without_kid_with_this_trust_domains_key()
    {
        string token = _issuer.IssueToken("spiffe://other.org/billing", [Audience], new JwtSvidSpec { IncludeKeyId = false });

        Assert.Equal(JwtSvidRule.BadSignature, Rejection(token));
    }

    [Fact]
    public void Rejects_sub_of_another_trust_domain_even_when_the_kid_collides()
    {
        using var a = TestJwtIssuer.Create("example.org", keyId: "shared", time: _time);
        using var b = TestJwtIssuer.Create("other.org", keyId: "shared", time: _time);
        string token = a.IssueToken("spiffe://other.org/billing", Audience);

        Assert.Equal(JwtSvidRule.BadSignature, Assert.Throws<JwtSvidException>(() => Validator(a, b).Validate(token, Audience)).Rule);
    }

    [Fact]
    public void Rejects_sub_of_a_trust_domain_without_bundle()
    {
        Assert.Equal(JwtSvidRule.NoBundleForTrustDomain, Rejection(_issuer.IssueToken("spiffe://stranger.org/x", Audience)));
    }

    [Fact]
    public void Rejects_tampered_payload()
    {
        string token = _issuer.IssueToken(Web, Audience);
        string forged = Reencode(token, payload: $$"""{"sub":"spiffe://example.org/admin","aud":["{{Audience}}"],"exp":{{_time.GetUtcNow().AddHours(1).ToUnixTimeSeconds()}}}""");

        Assert.Equal(JwtSvidRule.BadSignature, Rejection(forged));
    }

    [Fact]
    public void Rejects_empty_signature_under_an_allowed_algorithm()
    {
        string token = _issuer.IssueToken(Web, Audience);

        Assert.Equal(JwtSvidRule.BadSignature, Rejection(token[..(token.LastIndexOf('.') + 1)]));
    }

    [Fact]
    public void Rejects_duplicate_sub_claim()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { ExtraClaims = new Dictionary<string, string> { ["sub"] = "spiffe://example.org/admin" } });

        Assert.Equal(JwtSvidRule.Malformed, Rejection(token));
    }

    [Theory]
    [InlineData("e30=.e30.c2ln")]
    [InlineData("e30 .e30.c2ln")]
    [InlineData("bm90IGpzb24.e30.c2ln")]
    [InlineData("WzFd.e30.c2ln")]
    public void Rejects_parts_that_are_not_base64url_json_objects(string token)
    {
        Assert.Equal(JwtSvidRule.Malformed, Rejection(token));
    }

    [Fact]
    public void Rejects_exp_that_is_not_a_number()
    {
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { OmitExpiry = true, ExtraClaims = new Dictionary<string, string> { ["exp"] = "tomorrow" } });

        Assert.Equal(JwtSvidRule.Malformed, Rejection(token));
    }

    [Fact]
    public async Task Validates_concurrently_with_one_shared_bundle()
    {
        using var rsa = TestJwtIssuer.Create("other.org", JwtSvidAlgorithm.PS256, time: _time);
        var validator = Validator(_issuer, rsa);
        string[] tokens = [_issuer.IssueToken(Web, Audience), rsa.IssueToken("spiffe://other.org/db", Audience)];

        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(() => validator.Validate(tokens[i % 2], Audience).Id.ToString())));

        Assert.Equal(200, results.Count(id => id == Web));
        Assert.Equal(200, results.Count(id => id == "spiffe://other.org/db"));
    }

    [Fact]
    public void Exception_message_never_contains_the_token()
    {
        string token = _issuer.IssueToken(Web, "billing");

        var error = Assert.Throws<JwtSvidException>(() => Validator().Validate(token, Audience));

        Assert.DoesNotContain(token.Split('.')[2], error.Message, StringComparison.Ordinal);
    }

    private static string Reencode(string token, string? header = null, string? payload = null)
    {
        string[] parts = token.Split('.');
        static string Encode(string json) => System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(json));
        return $"{(header is null ? parts[0] : Encode(header))}.{(payload is null ? parts[1] : Encode(payload))}.{parts[2]}";
    }

    public void Dispose()
    {
        _issuer.Dispose();
        _other.Dispose();
    }
}
