using System.Diagnostics;
using System.Net;

namespace Mtls.OpenTelemetry.Tests;

public sealed class PrometheusScrapeTests
{
    /// <summary>The who-calls-whom query of the README: requests by source and destination identity and status.</summary>
    private const string Edges =
        "sum by (spiffe_client_id, spiffe_server_id, http_response_status_code) (http_server_request_duration_seconds_count{spiffe_client_id!=\"\"})";

    [Fact]
    public async Task A_real_prometheus_scraping_the_services_returns_the_edges_by_identity_with_their_counts()
    {
        await using var pair = await MeshPair.StartAsync(prometheus: true);
        for (int i = 0; i < 3; i++)
        {
            using var ok = await pair.Client(MeshPair.WebId).GetAsync(new Uri("/orders", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var batch = pair.Client(MeshPair.BatchId);
        for (int i = 0; i < 2; i++)
        {
            using var denied = await batch.GetAsync(new Uri("/orders", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        using var prometheus = await PrometheusServer.StartAsync(pair.MetricsAddress!);

        var expected = new Dictionary<(string, string, string), double>
        {
            [(MeshPair.WebId, MeshPair.OrdersId, "200")] = 3,
            [(MeshPair.BatchId, MeshPair.OrdersId, "403")] = 2,
        };
        Dictionary<(string, string, string), double> edges = [];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var series = await prometheus.QueryAsync(Edges);
            edges = series.ToDictionary(s => (s.Labels["spiffe_client_id"], s.Labels["spiffe_server_id"], s.Labels["http_response_status_code"]), s => s.Value);
            if (edges.Count == expected.Count && expected.All(e => edges.TryGetValue(e.Key, out double v) && v == e.Value))
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.True(
            edges.Count == expected.Count && expected.All(e => edges.TryGetValue(e.Key, out double v) && v == e.Value),
            $"edges: {string.Join(", ", edges.Select(e => $"{e.Key} = {e.Value}"))}\nprometheus:\n{prometheus.Output}");
    }
}
