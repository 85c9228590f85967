using Mtls.Authorization;
using Mtls.Identity;

namespace Mtls.Core.Tests.Authorization;

/// <summary>
/// Authorization runs in every TLS handshake and every request: a decision must not allocate. Each check warms the
/// decision up (tiering, lazy state), then counts the bytes this thread allocates over many more decisions.
/// </summary>
public sealed class AllocationTests
{
    private const int Decisions = 10_000;

    // Parsed from a copy, as an ID read from a peer certificate would be: never the same string as the rules'.
    private static readonly SpiffeId Web = SpiffeId.Parse(new string("spiffe://prod.example/ns/payments/sa/web".AsSpan()));
    private static readonly SpiffeId Foreign = SpiffeId.Parse("spiffe://other.example/ns/payments/sa/web");

    public static TheoryData<string> AuthorizerKinds => ["id", "one-of", "member-of", "matching", "matching-any-suffix", "and", "or"];

    [Theory]
    [MemberData(nameof(AuthorizerKinds))]
    public void Authorizer_decisions_allocate_nothing(string kind)
    {
        var authorizer = kind switch
        {
            "id" => Authorizer.Id("spiffe://prod.example/ns/payments/sa/web"),
            "one-of" => Authorizer.OneOf("spiffe://prod.example/ns/ops/sa/admin", "spiffe://prod.example/ns/payments/sa/web"),
            "member-of" => Authorizer.MemberOf("prod.example"),
            "matching" => Authorizer.Matching("spiffe://prod.example/ns/*/sa/web"),
            "matching-any-suffix" => Authorizer.Matching("spiffe://prod.example/ns/**"),
            "and" => Authorizer.MemberOf("prod.example").And(Authorizer.Matching("spiffe://prod.example/ns/*/sa/web")),
            _ => Authorizer.Id("spiffe://prod.example/ns/ops/sa/admin").Or(Authorizer.MemberOf("prod.example")),
        };
        Assert.True(authorizer.IsAuthorized(Web));
        Assert.False(authorizer.IsAuthorized(Foreign));

        long allocated = AllocatedBy(() =>
        {
            _ = authorizer.IsAuthorized(Web);
            _ = authorizer.IsAuthorized(Foreign);
        });

        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData("spiffe://prod.example/ns/payments/sa/web", "GET", "/api/orders/42", true, "allow-web-api")]
    [InlineData("spiffe://prod.example/ns/payments/sa/web", "POST", "/admin/users", false, "deny-admin-except-ops")]
    [InlineData("spiffe://prod.example/ns/payments/sa/db", "GET", "/api/orders/42", false, "default-deny")]
    [InlineData("spiffe://other.example/ns/payments/sa/web", "GET", "/api/orders/42", false, "deny-foreign")]
    [InlineData(null, "GET", "/healthz", true, "allow-probes")]
    public void Policy_decisions_allocate_nothing(string? peerId, string method, string path, bool allowed, string ruleName)
    {
        var policy = EightRulePolicy();
        var peer = peerId is null ? null : SpiffeId.Parse(peerId);
        var decision = policy.Evaluate(peer, method, path);
        Assert.Equal(allowed, decision.IsAllowed);
        Assert.Equal(ruleName, decision.RuleName);

        long allocated = AllocatedBy(() => _ = policy.Evaluate(peer, method, path));

        Assert.Equal(0, allocated);
    }

    private static PeerAccessPolicy EightRulePolicy() => new(
    [
        new PeerAccessRule("deny-admin-except-ops", PeerAccessAction.Deny, paths: ["/admin/*"], notPrincipals: ["spiffe://prod.example/ns/ops/sa/*"]),
        new PeerAccessRule("deny-debug", PeerAccessAction.Deny, paths: ["/debug/*", "*/pprof"]),
        new PeerAccessRule("deny-foreign", PeerAccessAction.Deny, principals: ["*"], notPrincipals: ["spiffe://prod.example/**"]),
        new PeerAccessRule("audit-writes", PeerAccessAction.Audit, methods: ["POST", "PUT", "PATCH", "DELETE"]),
        new PeerAccessRule("allow-probes", PeerAccessAction.Allow, paths: ["/healthz", "/readyz"], methods: ["GET"]),
        new PeerAccessRule("allow-ops", PeerAccessAction.Allow, principals: ["spiffe://prod.example/ns/ops/sa/*"]),
        new PeerAccessRule("allow-web-api", PeerAccessAction.Allow, principals: ["spiffe://prod.example/ns/*/sa/web"], paths: ["/api/*"], methods: ["GET", "POST"]),
        new PeerAccessRule("allow-reporter", PeerAccessAction.Allow, principals: ["spiffe://prod.example/ns/batch/sa/reporter"], paths: ["/reports/*"], methods: ["GET"]),
    ]);

    private static long AllocatedBy(Action decide)
    {
        for (int i = 0; i < 1_000; i++)
        {
            decide();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Decisions; i++)
        {
            decide();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
