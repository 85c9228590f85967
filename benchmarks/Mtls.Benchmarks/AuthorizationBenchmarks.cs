using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mtls.Authorization;
using Mtls.Identity;

namespace Mtls.Benchmarks;

/// <summary>
/// One authorization decision for a verified peer, per kind of rule, each against what a hand-rolled check of the
/// same rule would cost: an exact ID, a trust domain, a pattern, and an 8-rule Istio-style policy deciding a
/// typical request (GET /api/orders/42 from the web workload), and the path normalisation run before it, for a path
/// already normal (the common case, goal 0 bytes) and for an abnormal spelling. Goal: at most 50 ns and 0 bytes per
/// decision.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public partial class AuthorizationBenchmarks
{
    private const string PeerId = "spiffe://prod.example/ns/payments/sa/web";
    private const string Method = "GET";
    private const string Path = "/api/orders/42";
    private const string AbnormalPath = "//api/./v1/../orders/%34%32/";

    // A copy, as a peer's ID parsed from its certificate would be: equal to the configured string, never the same
    // reference (string.Equals would return on the reference check alone).
    private readonly SpiffeId _peer = SpiffeId.Parse(new string(PeerId.AsSpan()));
    private readonly Authorizer _id = Authorizer.Id(PeerId);
    private readonly Authorizer _memberOf = Authorizer.MemberOf("prod.example");
    private readonly Authorizer _matching = Authorizer.Matching("spiffe://prod.example/ns/*/sa/web");
    private readonly PeerAccessPolicy _policy = EightRulePolicy();
    private readonly HashSet<string> _allowedIds = new(StringComparer.Ordinal)
    {
        "spiffe://prod.example/ns/ops/sa/admin",
        "spiffe://prod.example/ns/batch/sa/reporter",
        PeerId,
        "spiffe://prod.example/ns/orders/sa/web",
        "spiffe://prod.example/ns/billing/sa/web",
    };

    /// <summary>
    /// The policy a service in front of an orders API might run: deny the admin and debug surfaces and foreign
    /// trust domains, audit writes, allow health probes, operators, the web workloads of any namespace on the API,
    /// and the reporter on reports. The typical request passes 1 AUDIT, 3 DENY and 3 ALLOW rules.
    /// </summary>
    internal static PeerAccessPolicy EightRulePolicy() => new(
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

    [BenchmarkCategory("Id"), Benchmark(Baseline = true, Description = "string.Equals(id, expected)")]
    public bool IdBaseline() => string.Equals(_peer.ToString(), PeerId, StringComparison.Ordinal);

    [BenchmarkCategory("Id"), Benchmark(Description = "Authorizer.Id")]
    public bool Id() => _id.IsAuthorized(_peer);

    [BenchmarkCategory("TrustDomain"), Benchmark(Baseline = true, Description = "id.StartsWith(\"spiffe://td/\")")]
    public bool TrustDomainBaseline() => _peer.ToString().StartsWith("spiffe://prod.example/", StringComparison.Ordinal);

    [BenchmarkCategory("TrustDomain"), Benchmark(Description = "Authorizer.MemberOf")]
    public bool MemberOf() => _memberOf.IsAuthorized(_peer);

    [BenchmarkCategory("Pattern"), Benchmark(Baseline = true, Description = "Regex.IsMatch (source-generated)")]
    public bool PatternBaseline() => WebPattern().IsMatch(_peer.ToString());

    [BenchmarkCategory("Pattern"), Benchmark(Description = "Authorizer.Matching(ns/*/sa/web)")]
    public bool Matching() => _matching.IsAuthorized(_peer);

    [BenchmarkCategory("Policy"), Benchmark(Baseline = true, Description = "HashSet<string>.Contains(id)")]
    public bool PolicyBaseline() => _allowedIds.Contains(_peer.ToString());

    [BenchmarkCategory("Policy"), Benchmark(Description = "PeerAccessPolicy (8 rules).Evaluate")]
    public bool Policy() => _policy.Evaluate(_peer, Method, Path).IsAllowed;

    [BenchmarkCategory("Path"), Benchmark(Baseline = true, Description = "RequestPath.TryNormalize (already normal)")]
    public string? NormalizeNormal() => RequestPath.TryNormalize(Path, out string? normalized) ? normalized : null;

    [BenchmarkCategory("Path"), Benchmark(Description = "RequestPath.TryNormalize (//api/./v1/../orders/%34%32/)")]
    public string? NormalizeAbnormal() => RequestPath.TryNormalize(AbnormalPath, out string? normalized) ? normalized : null;

    [GeneratedRegex("^spiffe://prod\\.example/ns/[^/]+/sa/web$", RegexOptions.CultureInvariant)]
    private static partial Regex WebPattern();
}
