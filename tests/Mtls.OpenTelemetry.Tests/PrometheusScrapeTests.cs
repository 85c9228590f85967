using System.Diagnostics;
using System.Net;

namespace Mtls.OpenTelemetry.Tests;

public sealed class PrometheusScrapeTests
{
    /// <summary>The who-calls-whom query of the README: requests by source and destination identity and status.</summary>
    private const string Edges =
        "sum by (spiffe_client_id, spiffe_server_id, http_response_status_code) (http_server_request_duration_seconds_count{spiffe_client_id!=\"\"})";

    /// <summary>The same edges as the callers' HttpClients saw them.</summary>
    private const string ClientEdges =
        "sum by (spiffe_client_id, spiffe_server_id, http_response_status_code) (http_client_request_duration_seconds_count{spiffe_server_id!=\"\"})";

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
        var server = await WaitForEdgesAsync(prometheus, Edges, expected);
        var client = await WaitForEdgesAsync(prometheus, ClientEdges, expected);

        Assert.True(Matches(server, expected), $"server edges: {Describe(server)}\nprometheus:\n{prometheus.Output}");
        Assert.True(Matches(client, expected), $"client edges: {Describe(client)}\nprometheus:\n{prometheus.Output}");
    }

    /// <summary>Queries until the edges match (scrapes run every second) or 30 s passed; the last answer either way.</summary>
    private static async Task<Dictionary<(string, string, string), double>> WaitForEdgesAsync(
        PrometheusServer prometheus, string query, Dictionary<(string, string, string), double> expected)
    {
        Dictionary<(string, string, string), double> edges = [];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var series = await prometheus.QueryAsync(query);
            edges = series.ToDictionary(s => (s.Labels["spiffe_client_id"], s.Labels["spiffe_server_id"], s.Labels["http_response_status_code"]), s => s.Value);
            if (Matches(edges, expected))
            {
                break;
            }

            await Task.Delay(250);
        }

        return edges;
    }

    private static bool Matches(Dictionary<(string, string, string), double> edges, Dictionary<(string, string, string), double> expected) =>
        edges.Count == expected.Count && expected.All(e => edges.TryGetValue(e.Key, out double v) && v == e.Value);

    private static string Describe(Dictionary<(string, string, string), double> edges) =>
        string.Join(", ", edges.Select(e => $"{e.Key} = {e.Value}"));
}
