using Mtls.Bundles;
using Mtls.Jwt;
using Mtls.Testing.Jwt;

namespace Mtls.Core.Tests.Jwt;

/// <summary><see cref="JwtSvidValidator.Validate(string, IReadOnlyCollection{string})"/>: a service that answers to several audiences.</summary>
public sealed class AcceptedAudiencesTests : IDisposable
{
    private readonly TestJwtIssuer _issuer = TestJwtIssuer.Create("example.org");

    [Fact]
    public void Token_for_any_accepted_audience_validates()
    {
        var validator = new JwtSvidValidator(new JwtBundleSet([_issuer.Bundle]));

        var svid = validator.Validate(_issuer.IssueToken("spiffe://example.org/web", ["reports", "billing"]), ["orders", "billing"]);

        Assert.Equal("spiffe://example.org/web", svid.Id.ToString());
    }

    [Fact]
    public void Token_for_no_accepted_audience_is_refused_as_wrong_audience()
    {
        var validator = new JwtSvidValidator(new JwtBundleSet([_issuer.Bundle]));

        var error = Assert.Throws<JwtSvidException>(() => validator.Validate(_issuer.IssueToken("spiffe://example.org/web", "reports"), ["orders", "billing"]));

        Assert.Equal(JwtSvidRule.WrongAudience, error.Rule);
    }

    [Fact]
    public void No_accepted_audience_is_a_caller_error()
    {
        var validator = new JwtSvidValidator(new JwtBundleSet([_issuer.Bundle]));

        Assert.Throws<ArgumentException>(() => validator.Validate(_issuer.IssueToken("spiffe://example.org/web", "orders"), Array.Empty<string>()));
    }

    public void Dispose() => _issuer.Dispose();
}
