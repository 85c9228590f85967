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
        Assert.False(rule.IsMatch(null, "GET", "/api"));
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
