using Mtls.Jwt;
using Mtls.Testing.Jwt;

namespace Mtls.Core.Tests.Jwt;

public sealed class JwtSvidParseInsecureTests : IDisposable
{
    private readonly TestJwtIssuer _issuer = TestJwtIssuer.Create("example.org");

    [Fact]
    public void Reads_claims_and_hint_without_a_bundle()
    {
        string token = _issuer.IssueToken("spiffe://example.org/web", ["api"], new JwtSvidSpec { ExtraClaims = new Dictionary<string, string> { ["team"] = "payments" } });

        var svid = JwtSvid.ParseInsecure(token, hint: "internal");

        Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
        Assert.Equal(["api"], svid.Audience);
        Assert.Equal("payments", svid.Claims["team"].GetString());
        Assert.Equal("internal", svid.Hint);
    }

    [Fact]
    public void Does_not_check_expiry_or_audience()
    {
        string token = _issuer.IssueToken("spiffe://example.org/web", "api", TimeSpan.FromMinutes(-5));

        var svid = JwtSvid.ParseInsecure(token);

        Assert.True(svid.Expiry < DateTimeOffset.UtcNow);
    }

    [Fact]
    public void Still_rejects_alg_none()
    {
        string token = _issuer.IssueToken("spiffe://example.org/web", ["api"], new JwtSvidSpec { Algorithm = "none" });

        Assert.Equal(JwtSvidRule.UnsupportedAlgorithm, Assert.Throws<JwtSvidException>(() => JwtSvid.ParseInsecure(token)).Rule);
    }

    [Fact]
    public void Still_requires_exp()
    {
        string token = _issuer.IssueToken("spiffe://example.org/web", ["api"], new JwtSvidSpec { OmitExpiry = true });

        Assert.Equal(JwtSvidRule.MissingExp, Assert.Throws<JwtSvidException>(() => JwtSvid.ParseInsecure(token)).Rule);
    }

    [Fact]
    public void ToString_does_not_reveal_the_token()
    {
        var svid = _issuer.Issue("spiffe://example.org/web", "api");

        Assert.DoesNotContain(svid.Token, svid.ToString(), StringComparison.Ordinal);
        Assert.Contains("spiffe://example.org/web", svid.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _issuer.Dispose();
}
