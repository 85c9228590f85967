using Mtls.Telemetry;

namespace Mtls.Core.Tests.Telemetry;

/// <summary>The in-process totals behind <c>mtls.authorization.decisions</c>.</summary>
public sealed class DecisionCountsTests
{
    [Fact]
    public void Each_decision_is_counted_under_its_side_decision_rule_and_peer()
    {
        var counts = new DecisionCounts();
        counts.Add("server", "allow", "client-reads", null);
        counts.Add("server", "allow", "client-reads", null);
        counts.Add("server", "deny", "no-batch-writes", null);
        counts.Add("client", "allow", "orders", "spiffe://example.org/orders");

        var totals = Totals(counts);

        Assert.Equal(3, totals.Count);
        Assert.Equal(2, totals["server|allow|client-reads|"]);
        Assert.Equal(1, totals["server|deny|no-batch-writes|"]);
        Assert.Equal(1, totals["client|allow|orders|spiffe://example.org/orders"]);
    }

    [Fact]
    public void Decisions_beyond_the_key_limit_are_counted_without_the_peer()
    {
        var counts = new DecisionCounts();
        for (int i = 0; i < DecisionCounts.MaxKeys; i++)
        {
            counts.Add("client", "allow", "any", $"spiffe://example.org/server-{i}");
        }

        counts.Add("client", "allow", "any", "spiffe://example.org/one-too-many");
        counts.Add("client", "allow", "any", "spiffe://example.org/server-0");

        var totals = Totals(counts);
        Assert.Equal(DecisionCounts.MaxKeys + 1, totals.Count);
        Assert.Equal(1, totals["client|allow|any|"]);
        Assert.Equal(2, totals["client|allow|any|spiffe://example.org/server-0"]);
        Assert.DoesNotContain(totals.Keys, k => k.Contains("one-too-many", StringComparison.Ordinal));
    }

    private static Dictionary<string, long> Totals(DecisionCounts counts) =>
        counts.Observe().ToDictionary(
            m => string.Join('|', new[] { MtlsTelemetry.SideTag, MtlsTelemetry.DecisionTag, MtlsTelemetry.RuleTag, MtlsTelemetry.PeerSpiffeIdTag }
                .Select(tag => m.Tags.ToArray().FirstOrDefault(t => t.Key == tag).Value as string ?? string.Empty)),
            m => m.Value);
}
