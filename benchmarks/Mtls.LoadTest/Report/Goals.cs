using Mtls.LoadTest.Crypto;

namespace Mtls.LoadTest.Report;

/// <summary>The goals, each a ratio between scenarios measured in the same run.</summary>
internal static class Goals
{
    internal static List<Goal> Evaluate(IReadOnlyList<ScenarioSummary> summaries, OpensslSpeed? crypto, RotationResult? rotation)
    {
        double Rps(string scenario, string mode) => summaries.FirstOrDefault(s => s.Scenario == scenario && s.Mode == mode)?.Rps ?? double.NaN;
        double P99(string scenario, string mode) => summaries.FirstOrDefault(s => s.Scenario == scenario && s.Mode == mode)?.P99Ms ?? double.NaN;

        var goals = new List<Goal>();
        void Ratio(string description, double measured, double target, bool atMost = false) =>
            goals.Add(new Goal(description, measured, target, atMost ? measured <= target : measured >= target));

        foreach (string mode in new[] { "HTTP/1.1 keep-alive", "HTTP/2 keep-alive" })
        {
            Ratio($"Mtls / raw Kestrel mTLS, {mode} (>= 0.97)", Rps("Mtls", mode) / Rps("raw Kestrel mTLS", mode), 0.97);
        }

        Ratio("Mtls / plaintext, HTTP/2 keep-alive (>= 0.90)", Rps("Mtls", "HTTP/2 keep-alive") / Rps("plaintext Kestrel", "HTTP/2 keep-alive"), 0.90);
        Ratio("Mtls / sidecar pair, HTTP/2 keep-alive (>= 4)", Rps("Mtls", "HTTP/2 keep-alive") / Rps("nginx sidecar pair", "HTTP/2 keep-alive"), 4);
        Ratio("Mtls p99 / sidecar pair p99, HTTP/2 keep-alive (<= 0.33)", P99("Mtls", "HTTP/2 keep-alive") / P99("nginx sidecar pair", "HTTP/2 keep-alive"), 1.0 / 3, atMost: true);
        Ratio("Mtls / sidecar pair, HTTP/1.1 keep-alive (>= 1.6)", Rps("Mtls", "HTTP/1.1 keep-alive") / Rps("nginx sidecar pair", "HTTP/1.1 keep-alive"), 1.6);
        Ratio("Mtls / raw Kestrel mTLS handshakes/s, HTTP/1.1 new connection (>= 0.95)", Rps("Mtls", "HTTP/1.1 new connection") / Rps("raw Kestrel mTLS", "HTTP/1.1 new connection"), 0.95);
        if (crypto is not null)
        {
            double limit = crypto.HandshakesPerSecondPerCore * Environment.ProcessorCount;
            Ratio("Mtls handshakes/s / crypto limit of all cores (>= 0.5)", Rps("Mtls", "HTTP/1.1 new connection") / limit, 0.5);
        }

        if (rotation is not null)
        {
            Ratio("failed requests during rotations (= 0)", rotation.FailedRequests, 0, atMost: true);
            Ratio("rotation to first handshake with new SVID, p99 ms (<= 100)", rotation.P99DelayMs, 100, atMost: true);
        }

        return goals;
    }
}
