using Mtls.Authorization;
using Mtls.Identity;

namespace Mtls.Core.Tests.Authorization;

public sealed class AuthorizerTests
{
    private static readonly SpiffeId Web = SpiffeId.Parse("spiffe://example.org/web");
    private static readonly SpiffeId Api = SpiffeId.Parse("spiffe://example.org/api");
    private static readonly SpiffeId Foreign = SpiffeId.Parse("spiffe://other.org/web");

    [Fact]
    public void Any_allows_every_id()
    {
        var authorizer = Authorizer.Any();

        Assert.True(authorizer.IsAuthorized(Web));
        Assert.True(authorizer.IsAuthorized(Foreign));
        Assert.Equal("any SPIFFE ID", authorizer.ToString());
    }

    [Fact]
    public void Id_allows_exactly_that_id()
    {
        var authorizer = Authorizer.Id("spiffe://example.org/web");

        Assert.True(authorizer.IsAuthorized(Web));
        Assert.False(authorizer.IsAuthorized(Api));
        Assert.False(authorizer.IsAuthorized(SpiffeId.Parse("spiffe://example.org/Web")));
        Assert.Equal("id is spiffe://example.org/web", authorizer.ToString());
        Assert.True(Authorizer.Id(Web).IsAuthorized(Web));
    }

    [Fact]
    public void Id_rejects_an_invalid_id_at_construction()
    {
        var error = Assert.Throws<InvalidSpiffeIdException>(() => Authorizer.Id("spiffe://example.org/web/"));

        Assert.Equal(SpiffeIdRule.TrailingSlash, error.Rule);
    }

    [Fact]
    public void OneOf_allows_any_listed_id_and_lists_them_sorted()
    {
        var authorizer = Authorizer.OneOf("spiffe://example.org/web", "spiffe://example.org/api");

        Assert.True(authorizer.IsAuthorized(Web));
        Assert.True(authorizer.IsAuthorized(Api));
        Assert.False(authorizer.IsAuthorized(Foreign));
        Assert.Equal("id is one of [spiffe://example.org/api, spiffe://example.org/web]", authorizer.ToString());
        Assert.True(Authorizer.OneOf(Web, Api).IsAuthorized(Api));
    }

    [Fact]
    public void OneOf_requires_at_least_one_id() =>
        Assert.Throws<ArgumentException>(() => Authorizer.OneOf(Array.Empty<SpiffeId>()));

    [Fact]
    public void MemberOf_allows_ids_of_the_trust_domain()
    {
        var authorizer = Authorizer.MemberOf("example.org");

        Assert.True(authorizer.IsAuthorized(Web));
        Assert.True(authorizer.IsAuthorized(TrustDomain.Parse("example.org").Id));
        Assert.False(authorizer.IsAuthorized(Foreign));
        Assert.Equal("member of trust domain example.org", authorizer.ToString());
    }

    [Fact]
    public void Matching_pattern_allows_matching_ids()
    {
        var authorizer = Authorizer.Matching("spiffe://example.org/*");

        Assert.True(authorizer.IsAuthorized(Web));
        Assert.False(authorizer.IsAuthorized(Foreign));
        Assert.Equal("id matches spiffe://example.org/*", authorizer.ToString());
    }

    [Fact]
    public void Matching_predicate_uses_the_predicate_and_its_description()
    {
        var authorizer = Authorizer.Matching(id => id.Path.EndsWith("/api", StringComparison.Ordinal), "path ends with /api");

        Assert.True(authorizer.IsAuthorized(Api));
        Assert.False(authorizer.IsAuthorized(Web));
        Assert.Equal("path ends with /api", authorizer.ToString());
    }

    [Fact]
    public void And_requires_both()
    {
        var authorizer = Authorizer.MemberOf("example.org").And(Authorizer.Matching("spiffe://example.org/web"));

        Assert.True(authorizer.IsAuthorized(Web));
        Assert.False(authorizer.IsAuthorized(Api));
        Assert.False(authorizer.IsAuthorized(Foreign));
        Assert.Equal("(member of trust domain example.org) and (id matches spiffe://example.org/web)", authorizer.ToString());
    }

    [Fact]
    public void Or_requires_either()
    {
        var authorizer = Authorizer.Id(Web).Or(Authorizer.MemberOf("other.org"));

        Assert.True(authorizer.IsAuthorized(Web));
        Assert.True(authorizer.IsAuthorized(Foreign));
        Assert.False(authorizer.IsAuthorized(Api));
        Assert.Equal("(id is spiffe://example.org/web) or (member of trust domain other.org)", authorizer.ToString());
    }

    [Fact]
    public void Factories_reject_null_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => Authorizer.Id((SpiffeId)null!));
        Assert.Throws<ArgumentNullException>(() => Authorizer.MemberOf((TrustDomain)null!));
        Assert.Throws<ArgumentNullException>(() => Authorizer.Matching((SpiffeIdPattern)null!));
        Assert.Throws<ArgumentNullException>(() => Authorizer.Matching(null!, "x"));
        Assert.Throws<ArgumentNullException>(() => Authorizer.Any().And(null!));
        Assert.Throws<ArgumentNullException>(() => Authorizer.Any().Or(null!));
    }
}
