using Mtls.Identity;

namespace Mtls.Core.Tests.Identity;

public sealed class SpiffeIdPatternTests
{
    [Theory]
    [InlineData("spiffe://example.org/web", "spiffe://example.org/web", true)]
    [InlineData("spiffe://example.org/web", "spiffe://example.org/Web", false)]
    [InlineData("spiffe://example.org/web", "spiffe://example.org/web/v1", false)]
    [InlineData("spiffe://example.org", "spiffe://example.org", true)]
    [InlineData("spiffe://example.org", "spiffe://example.org/web", false)]
    [InlineData("spiffe://example.org/ns/*/sa/web", "spiffe://example.org/ns/prod/sa/web", true)]
    [InlineData("spiffe://example.org/ns/*/sa/web", "spiffe://example.org/ns/dev/sa/web", true)]
    [InlineData("spiffe://example.org/ns/*/sa/web", "spiffe://example.org/ns/prod/sa/api", false)]
    [InlineData("spiffe://example.org/ns/*/sa/web", "spiffe://example.org/ns/a/b/sa/web", false)]
    [InlineData("spiffe://example.org/ns/*/sa/web", "spiffe://example.org/ns/sa/web", false)]
    [InlineData("spiffe://example.org/*", "spiffe://example.org/web", true)]
    [InlineData("spiffe://example.org/*", "spiffe://example.org", false)]
    [InlineData("spiffe://example.org/*", "spiffe://example.org/web/v1", false)]
    [InlineData("spiffe://example.org/ns/prod/**", "spiffe://example.org/ns/prod", true)]
    [InlineData("spiffe://example.org/ns/prod/**", "spiffe://example.org/ns/prod/sa/web", true)]
    [InlineData("spiffe://example.org/ns/prod/**", "spiffe://example.org/ns/prod/sa/web/extra", true)]
    [InlineData("spiffe://example.org/ns/prod/**", "spiffe://example.org/ns/production", false)]
    [InlineData("spiffe://example.org/ns/prod/**", "spiffe://example.org/ns/dev/sa/web", false)]
    [InlineData("spiffe://example.org/**", "spiffe://example.org", true)]
    [InlineData("spiffe://example.org/**", "spiffe://example.org/a/b/c", true)]
    [InlineData("spiffe://example.org/*/sa/**", "spiffe://example.org/ns/sa/web", true)]
    [InlineData("spiffe://example.org/*/sa/**", "spiffe://example.org/ns/api/web", false)]
    [InlineData("spiffe://example.org/ns/*/sa/web", "spiffe://other.org/ns/prod/sa/web", false)]
    [InlineData("spiffe://example.org/**", "spiffe://example.org.evil/web", false)]
    [InlineData("spiffe://example.org/ns/*/sa/web", "spiffe://example.org.evil/ns/prod/sa/web", false)]
    [InlineData("spiffe://example.org/ns/*/sa/web", "spiffe://example.org/nsx/prod/sa/web", false)]
    [InlineData("spiffe://example.org/ns/prod", "spiffe://example.org/ns/prodx", false)]
    [InlineData("spiffe://example.org/ns/prod/sa/*", "spiffe://example.org/ns/prod/sa", false)]
    [InlineData("spiffe://example.org/ns/prod/sa/*", "spiffe://example.org/ns/prod/sa/web", true)]
    public void Matches_segment_wildcards_within_a_literal_trust_domain(string pattern, string id, bool expected) =>
        Assert.Equal(expected, SpiffeIdPattern.Parse(pattern).IsMatch(SpiffeId.Parse(id)));

    [Theory]
    [InlineData("spiffe://*/web", SpiffeIdRule.TrustDomainCharacter, 9)]
    [InlineData("spiffe://example.*/web", SpiffeIdRule.TrustDomainCharacter, 17)]
    [InlineData("spiffe://example.org/web*", SpiffeIdRule.PathCharacter, 24)]
    [InlineData("spiffe://example.org/*x", SpiffeIdRule.PathCharacter, 21)]
    [InlineData("spiffe://example.org/x*/y", SpiffeIdRule.PathCharacter, 22)]
    [InlineData("spiffe://example.org/***", SpiffeIdRule.PathCharacter, 21)]
    [InlineData("spiffe://example.org/**/web", SpiffeIdRule.PathCharacter, 21)]
    [InlineData("spiffe://example.org/ns/**/**", SpiffeIdRule.PathCharacter, 24)]
    [InlineData("spiffe://example.org/*/", SpiffeIdRule.TrailingSlash, 22)]
    [InlineData("spiffe://example.org//*", SpiffeIdRule.EmptySegment, 21)]
    [InlineData("spiffe://example.org/*?x", SpiffeIdRule.PathCharacter, 21)]
    [InlineData("http://example.org/*", SpiffeIdRule.WrongScheme, 0)]
    [InlineData("", SpiffeIdRule.Empty, -1)]
    public void Rejects_invalid_pattern_naming_the_rule(string pattern, SpiffeIdRule rule, int index)
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => SpiffeIdPattern.Parse(pattern));

        Assert.Equal(rule, error.Rule);
        Assert.Equal(index, error.Index);
        Assert.False(SpiffeIdPattern.TryParse(pattern, out var result));
        Assert.Null(result);
    }

    [Fact]
    public void Explains_that_double_star_must_be_last()
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => SpiffeIdPattern.Parse("spiffe://example.org/**/web"));

        Assert.Equal("'**' may only be the last segment of a pattern", error.Message);
    }

    [Fact]
    public void Exposes_the_trust_domain_and_round_trips_through_ToString()
    {
        var pattern = SpiffeIdPattern.Parse("spiffe://example.org/ns/*/sa/**");

        Assert.Equal(TrustDomain.Parse("example.org"), pattern.TrustDomain);
        Assert.Equal("spiffe://example.org/ns/*/sa/**", pattern.ToString());
        Assert.Equal(pattern, SpiffeIdPattern.Parse(pattern.ToString()));
        Assert.Equal(pattern.GetHashCode(), SpiffeIdPattern.Parse(pattern.ToString()).GetHashCode());
        Assert.NotEqual(pattern, SpiffeIdPattern.Parse("spiffe://example.org/ns/*/sa/*"));
    }

    [Fact]
    public void TryParse_returns_false_for_null()
    {
        Assert.False(SpiffeIdPattern.TryParse(null, out var pattern));
        Assert.Null(pattern);
    }
}
