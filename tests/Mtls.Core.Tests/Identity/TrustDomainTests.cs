using Mtls.Identity;

namespace Mtls.Core.Tests.Identity;

public sealed class TrustDomainTests
{
    [Theory]
    [InlineData("example.org")]
    [InlineData("cluster.local")]
    [InlineData("192.168.1.1")]
    [InlineData("trust_domain-1")]
    [InlineData("123")]
    public void Parses_a_trust_domain_name(string name)
    {
        var td = TrustDomain.Parse(name);

        Assert.Equal(name, td.Name);
        Assert.Equal(name, td.ToString());
        Assert.Equal(td, TrustDomain.Parse(td.ToString()));
    }

    [Theory]
    [InlineData("spiffe://example.org", "example.org")]
    [InlineData("spiffe://example.org/ns/prod/sa/web", "example.org")]
    [InlineData("spiffe://10.0.0.1/web", "10.0.0.1")]
    public void Parses_the_trust_domain_of_a_spiffe_id(string id, string expected)
    {
        Assert.Equal(expected, TrustDomain.Parse(id).Name);
        Assert.True(TrustDomain.TryParse(id, out var td));
        Assert.Equal(expected, td.Name);
    }

    [Fact]
    public void Accepts_a_255_byte_name()
    {
        string name = new('t', 255);

        Assert.Equal(name, TrustDomain.Parse(name).Name);
    }

    [Theory]
    [InlineData("", SpiffeIdRule.MissingTrustDomain, -1, "trust domain is missing")]
    [InlineData("Example.org", SpiffeIdRule.TrustDomainCharacter, 0, "trust domain contains invalid character 'E' at index 0; trust domains are lower case")]
    [InlineData("example.org/web", SpiffeIdRule.TrustDomainCharacter, 11, "trust domain contains invalid character '/' at index 11; allowed are a-z, 0-9, '.', '-' and '_'")]
    [InlineData("example.org:443", SpiffeIdRule.Port, 11, "SPIFFE ID must not have a port (':' at index 11)")]
    [InlineData("user@example.org", SpiffeIdRule.UserInfo, 4, "SPIFFE ID must not have user information ('@' at index 4)")]
    [InlineData("exa mple.org", SpiffeIdRule.TrustDomainCharacter, 3, "trust domain contains invalid character U+0020 at index 3; allowed are a-z, 0-9, '.', '-' and '_'")]
    [InlineData("http://example.org", SpiffeIdRule.WrongScheme, 0, "SPIFFE ID must start with the scheme 'spiffe://' (lower case)")]
    [InlineData("spiffe://Example.org/web", SpiffeIdRule.TrustDomainCharacter, 9, "trust domain contains invalid character 'E' at index 9; trust domains are lower case")]
    [InlineData("spiffe://example.org/web/", SpiffeIdRule.TrailingSlash, 24, "path must not end with '/' (index 24)")]
    public void Rejects_invalid_input_naming_the_rule(string input, SpiffeIdRule rule, int index, string message)
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => TrustDomain.Parse(input));

        Assert.Equal(rule, error.Rule);
        Assert.Equal(index, error.Index);
        Assert.Equal(message, error.Message);
        Assert.False(TrustDomain.TryParse(input, out var td));
        Assert.Null(td);
    }

    [Fact]
    public void Rejects_a_256_byte_name()
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => TrustDomain.Parse(new string('t', 256)));

        Assert.Equal(SpiffeIdRule.TrustDomainTooLong, error.Rule);
        Assert.Equal(255, error.Index);
        Assert.Equal("trust domain is longer than 255 bytes", error.Message);
    }

    [Fact]
    public void TryParse_returns_false_for_null()
    {
        Assert.False(TrustDomain.TryParse(null, out var td));
        Assert.Null(td);
    }

    [Fact]
    public void Parse_rejects_null_with_argument_null_exception() =>
        Assert.Throws<ArgumentNullException>(() => TrustDomain.Parse(null!));

    [Fact]
    public void Id_is_the_trust_domain_spiffe_id()
    {
        var id = TrustDomain.Parse("example.org").Id;

        Assert.Equal("spiffe://example.org", id.ToString());
        Assert.True(id.IsTrustDomainId);
        Assert.Equal(TrustDomain.Parse("example.org"), id.TrustDomain);
    }

    [Fact]
    public void Contains_ids_of_the_same_trust_domain_only()
    {
        var td = TrustDomain.Parse("example.org");

        Assert.True(td.Contains(SpiffeId.Parse("spiffe://example.org/web")));
        Assert.True(td.Contains(td.Id));
        Assert.False(td.Contains(SpiffeId.Parse("spiffe://example.org2/web")));
    }

    [Fact]
    public void Equal_names_are_equal_and_hash_alike()
    {
        var a = TrustDomain.Parse("example.org");
        var b = TrustDomain.Parse("spiffe://example.org/web");

        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, TrustDomain.Parse("example.com"));
    }

    [Fact]
    public void Orders_ordinally_with_null_first()
    {
        var a = TrustDomain.Parse("a.org");
        var b = TrustDomain.Parse("b.org");
        TrustDomain? none = null;

        Assert.True(a < b);
        Assert.True(b > a);
        Assert.True(a <= TrustDomain.Parse("a.org"));
        Assert.True(b >= a);
        Assert.True(none < a);
        Assert.Equal(1, a.CompareTo(null));
        Assert.Equal([a, b], new[] { b, a }.Order());
    }
}
