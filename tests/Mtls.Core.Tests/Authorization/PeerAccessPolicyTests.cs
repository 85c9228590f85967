using Mtls.Authorization;
using Mtls.Identity;

namespace Mtls.Core.Tests.Authorization;

public sealed class PeerAccessPolicyTests
{
    private static readonly SpiffeId Web = SpiffeId.Parse("spiffe://example.org/ns/prod/sa/web");
    private static readonly SpiffeId Db = SpiffeId.Parse("spiffe://example.org/ns/prod/sa/db");

    [Fact]
    public void Deny_rule_wins_over_a_matching_allow_rule()
    {
        var policy = new PeerAccessPolicy(
        [
            new PeerAccessRule("allow-all", PeerAccessAction.Allow, principals: ["*"]),
            new PeerAccessRule("deny-admin", PeerAccessAction.Deny, paths: ["/admin/*"]),
        ]);

        var decision = policy.Evaluate(Web, "GET", "/admin/users");

        Assert.False(decision.IsAllowed);
        Assert.Equal("deny-admin", decision.RuleName);
    }

    [Fact]
    public void Without_allow_rules_everything_not_denied_is_allowed()
    {
        var policy = new PeerAccessPolicy([new PeerAccessRule("deny-db", PeerAccessAction.Deny, principals: [Db.ToString()])]);

        Assert.True(policy.Evaluate(Web, "GET", "/x").IsAllowed);
        Assert.Equal("default-allow", policy.Evaluate(Web, "GET", "/x").RuleName);
        Assert.False(policy.Evaluate(Db, "GET", "/x").IsAllowed);
    }

    [Fact]
    public void With_an_allow_rule_anything_it_does_not_match_is_denied_by_default()
    {
        var policy = new PeerAccessPolicy([new PeerAccessRule("web", PeerAccessAction.Allow, principals: ["spiffe://example.org/ns/*/sa/web"])]);

        Assert.Equal("web", policy.Evaluate(Web, "GET", "/").RuleName);
        var denied = policy.Evaluate(Db, "GET", "/");
        Assert.False(denied.IsAllowed);
        Assert.Equal("default-deny", denied.RuleName);
        Assert.False(policy.Evaluate(null, "GET", "/").IsAllowed);
    }

    [Theory]
    [InlineData("/api/orders", "/api/orders", true)]
    [InlineData("/api/orders", "/api/orders/1", false)]
    [InlineData("/api/*", "/api/orders/1", true)]
    [InlineData("/api/*", "/apix", false)]
    [InlineData("*/health", "/v1/health", true)]
    [InlineData("*/health", "/v1/healthz", false)]
    [InlineData("/ADMIN/*", "/admin/x", true)]
    [InlineData("*", "/anything", true)]
    public void Paths_match_exact_prefix_suffix_and_any_ignoring_case(string pattern, string path, bool matches)
    {
        var rule = new PeerAccessRule("r", PeerAccessAction.Deny, paths: [pattern]);

        Assert.Equal(matches, rule.IsMatch(Web, "GET", path));
    }

    [Theory]
    [InlineData("GET", "GET", true)]
    [InlineData("GET", "get", true)]
    [InlineData("GET", "POST", false)]
    [InlineData("PURGE", "PURGE", true)]
    [InlineData("PURGE", "purge", true)]
    [InlineData("PURGE", "GET", false)]
    [InlineData("*", "PROPFIND", true)]
    [InlineData("*", "DELETE", true)]
    public void Methods_match_standard_and_custom_names_ignoring_case(string pattern, string method, bool matches)
    {
        var rule = new PeerAccessRule("r", PeerAccessAction.Allow, methods: [pattern]);

        Assert.Equal(matches, rule.IsMatch(Web, method, "/"));
        Assert.Equal(matches, new PeerAccessPolicy([rule]).Evaluate(Web, method, "/").IsAllowed);
    }

    [Fact]
    public void Not_methods_exclude_standard_and_custom_names()
    {
        var rule = new PeerAccessRule("r", PeerAccessAction.Allow, notMethods: ["DELETE", "PURGE"]);

        Assert.True(rule.IsMatch(Web, "GET", "/"));
        Assert.False(rule.IsMatch(Web, "delete", "/"));
        Assert.False(rule.IsMatch(Web, "PURGE", "/"));
    }

    [Fact]
    public void Not_fields_exclude_what_they_name()
    {
        var rule = new PeerAccessRule("r", PeerAccessAction.Allow, notPrincipals: [Db.ToString()], notPaths: ["*/health"], notMethods: ["DELETE"]);

        Assert.True(rule.IsMatch(Web, "GET", "/api"));
        Assert.False(rule.IsMatch(Db, "GET", "/api"));
        Assert.False(rule.IsMatch(Web, "GET", "/v1/health"));
        Assert.False(rule.IsMatch(Web, "delete", "/api"));
    }

    [Fact]
    public void Deny_not_principals_any_denies_every_request_without_a_verified_peer()
    {
        var policy = new PeerAccessPolicy([new PeerAccessRule("require-mtls", PeerAccessAction.Deny, notPrincipals: ["*"])]);

        var plaintext = policy.Evaluate(null, "GET", "/api");

        Assert.False(plaintext.IsAllowed);
        Assert.Equal("require-mtls", plaintext.RuleName);
        Assert.True(policy.Evaluate(Web, "GET", "/api").IsAllowed);
    }

    [Fact]
    public void Principals_never_match_a_request_without_a_verified_peer_not_even_any()
    {
        var any = new PeerAccessRule("any", PeerAccessAction.Allow, principals: ["*"]);
        var web = new PeerAccessRule("web", PeerAccessAction.Deny, principals: [Web.ToString()]);

        Assert.False(any.IsMatch(null, "GET", "/"));
        Assert.True(any.IsMatch(Web, "GET", "/"));
        Assert.False(web.IsMatch(null, "GET", "/"));
        Assert.False(new PeerAccessPolicy([any]).Evaluate(null, "GET", "/").IsAllowed);
    }

    [Fact]
    public void Allow_with_only_not_principals_admits_a_request_without_a_verified_peer_as_istio_does()
    {
        var rule = new PeerAccessRule("not-db", PeerAccessAction.Allow, notPrincipals: [Db.ToString()]);

        Assert.True(rule.IsMatch(null, "GET", "/"));
        Assert.True(rule.IsMatch(Web, "GET", "/"));
        Assert.False(rule.IsMatch(Db, "GET", "/"));
    }

    [Fact]
    public void Conditions_are_anded_values_ored_and_not_lists_match_when_no_value_does()
    {
        var rule = new PeerAccessRule(
            "r",
            PeerAccessAction.Allow,
            principals: [Web.ToString(), Db.ToString()],
            paths: ["/api/*", "/v2/*"],
            notPaths: ["*/internal", "/api/admin"],
            methods: ["GET", "HEAD"]);

        Assert.True(rule.IsMatch(Db, "HEAD", "/v2/x"));
        Assert.False(rule.IsMatch(Db, "POST", "/v2/x"));
        Assert.False(rule.IsMatch(Web, "GET", "/v3/x"));
        Assert.False(rule.IsMatch(Web, "GET", "/api/x/internal"));
        Assert.False(rule.IsMatch(Web, "GET", "/api/admin"));
        Assert.False(rule.IsMatch(SpiffeId.Parse("spiffe://example.org/other"), "GET", "/api/x"));
    }

    [Fact]
    public void Trust_domain_members_are_written_with_a_final_double_star()
    {
        var rule = new PeerAccessRule("td", PeerAccessAction.Allow, principals: ["spiffe://example.org/**"]);

        Assert.True(rule.IsMatch(Web, "GET", "/"));
        Assert.False(rule.IsMatch(SpiffeId.Parse("spiffe://example.org.evil/ns/prod/sa/web"), "GET", "/"));
        Assert.False(rule.IsMatch(null, "GET", "/"));
    }

    [Theory]
    [InlineData("principal")]
    [InlineData("notPrincipal")]
    public void Rejects_a_trust_domain_id_as_principal_and_says_how_to_name_its_members(string field)
    {
        var error = Assert.Throws<ArgumentException>(() => field == "principal"
            ? new PeerAccessRule("r", PeerAccessAction.Deny, principals: ["spiffe://example.org"])
            : new PeerAccessRule("r", PeerAccessAction.Deny, notPrincipals: ["spiffe://example.org"]));

        Assert.StartsWith($"{field} 'spiffe://example.org' is a trust domain ID", error.Message, StringComparison.Ordinal);
        Assert.Contains("write 'spiffe://example.org/**'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin", "/admin", true)]
    [InlineData("/admin/", "/admin", true)]
    [InlineData("/x/../admin", "/admin", true)]
    [InlineData("/admin/*", "/admin", true)]
    [InlineData("/admin/*", "/admin/users", true)]
    [InlineData("/admin/*", "/administrator", false)]
    [InlineData("/admin*", "/administrator", true)]
    [InlineData("/*", "/", true)]
    [InlineData("/*", "/anything/at/all", true)]
    [InlineData("*/health", "/v1/health", true)]
    [InlineData("*.json", "/a/b.json", true)]
    public void Path_values_match_normalised_paths(string pattern, string normalizedPath, bool matches)
    {
        var rule = new PeerAccessRule("r", PeerAccessAction.Deny, paths: [pattern]);

        Assert.Equal(matches, rule.IsMatch(Web, "GET", normalizedPath));
    }

    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/")]
    [InlineData("/Admin")]
    [InlineData("//admin")]
    [InlineData("/admin/.")]
    [InlineData("/x/../admin")]
    [InlineData("/%61dmin")]
    [InlineData("/x\\..\\admin")]
    public void Exact_deny_catches_every_spelling_of_its_path_once_normalised(string path)
    {
        var policy = new PeerAccessPolicy([new PeerAccessRule("deny-admin", PeerAccessAction.Deny, paths: ["/admin"])]);

        Assert.True(RequestPath.TryNormalize(path, out string? normalized));
        Assert.Equal("deny-admin", policy.Evaluate(Web, "GET", normalized).RuleName);
    }

    [Theory]
    [InlineData("/a%2Fb", "must not be percent-encoded")]
    [InlineData("/%61dmin", "must not be percent-encoded")]
    [InlineData("/a/../b*", "is not a normal path")]
    [InlineData("//api/*", "is not a normal path")]
    [InlineData("*/health/", "is not a normal path")]
    [InlineData("/a\\b/*", "is not a normal path")]
    public void Rejects_path_values_that_could_never_match_a_normalised_path(string path, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => new PeerAccessRule("r", PeerAccessAction.Deny, paths: [path]));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_rule_is_reported_and_changes_nothing()
    {
        var policy = new PeerAccessPolicy(
        [
            new PeerAccessRule("audit-db", PeerAccessAction.Audit, principals: [Db.ToString()]),
            new PeerAccessRule("deny-db", PeerAccessAction.Deny, principals: [Db.ToString()], methods: ["POST"]),
        ]);

        var get = policy.Evaluate(Db, "GET", "/");
        var post = policy.Evaluate(Db, "POST", "/");

        Assert.True(get.IsAllowed);
        Assert.Equal("audit-db", get.AuditRule?.Name);
        Assert.False(post.IsAllowed);
        Assert.Equal("audit-db", post.AuditRule?.Name);
    }

    [Theory]
    [InlineData("web")]
    [InlineData("spiffe://example.org/a/**/b")]
    public void Rejects_principal_that_is_neither_an_id_nor_a_pattern(string principal)
    {
        var error = Assert.Throws<ArgumentException>(() => new PeerAccessRule("r", PeerAccessAction.Allow, principals: [principal]));

        Assert.StartsWith($"principal '{principal}' is not a SPIFFE ID", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/*", "must start with '/' or '*'")]
    [InlineData("/a*b", "may contain '*' only at its start or its end")]
    [InlineData("*/a/*", "may contain '*' only once")]
    public void Rejects_malformed_path(string path, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => new PeerAccessRule("r", PeerAccessAction.Allow, paths: [path]));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deciding_allocates_nothing()
    {
        var policy = new PeerAccessPolicy(
        [
            new PeerAccessRule("deny", PeerAccessAction.Deny, principals: [Db.ToString()], paths: ["/admin/*"]),
            new PeerAccessRule("allow", PeerAccessAction.Allow, principals: ["spiffe://example.org/ns/*/sa/web"], methods: ["GET"], paths: ["/api/*"]),
            new PeerAccessRule("audit", PeerAccessAction.Audit, paths: ["*/health"]),
        ]);
        policy.Evaluate(Web, "GET", "/api/orders");

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            policy.Evaluate(Web, "GET", "/api/orders");
            policy.Evaluate(Db, "POST", "/admin/x");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
