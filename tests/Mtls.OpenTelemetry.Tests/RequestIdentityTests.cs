using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Mtls.Telemetry;

namespace Mtls.OpenTelemetry.Tests;

public sealed class RequestIdentityTests : IDisposable
{
    private const string ServerDuration = "http.server.request.duration";
    private const string ClientDuration = "http.client.request.duration";

    private readonly CollectedTelemetry _telemetry = new();

    [Fact]
    public async Task Server_request_metrics_carry_the_callers_and_the_servers_verified_ids_and_the_status()
    {
        await using var pair = await MeshPair.StartAsync();
        await CallAsync(pair.Client(MeshPair.WebId), 3, HttpStatusCode.OK);
        await CallAsync(pair.Client(MeshPair.BatchId), 2, HttpStatusCode.Forbidden);

        var points = await _telemetry.CollectUntilAsync(p => Count(p, ServerDuration, MeshPair.WebId, 200) == 3 && Count(p, ServerDuration, MeshPair.BatchId, 403) == 2);

        Assert.Equal(3, Count(points, ServerDuration, MeshPair.WebId, 200));
        Assert.Equal(2, Count(points, ServerDuration, MeshPair.BatchId, 403));
        Assert.DoesNotContain(points, p => p.Instrument == ServerDuration && p.Tag(MtlsTelemetry.ClientSpiffeIdTag) is null);
    }

    [Fact]
    public async Task Client_request_metrics_carry_the_servers_verified_id_and_our_own()
    {
        await using var pair = await MeshPair.StartAsync();
        await CallAsync(pair.Client(MeshPair.WebId), 3, HttpStatusCode.OK);
        await CallAsync(pair.Client(MeshPair.BatchId), 2, HttpStatusCode.Forbidden);

        var points = _telemetry.Collect();

        Assert.Equal(3, Count(points, ClientDuration, MeshPair.WebId, 200));
        Assert.Equal(2, Count(points, ClientDuration, MeshPair.BatchId, 403));
    }

    [Fact]
    public async Task Multiplexed_http2_requests_each_carry_the_identities_of_their_connection()
    {
        await using var pair = await MeshPair.StartAsync();
        var client = pair.Client(MeshPair.WebId);
        client.DefaultRequestVersion = HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.GetAsync(new Uri("/orders", UriKind.Relative))));

        Assert.All(responses, r => Assert.Equal(HttpVersion.Version20, r.Version));
        var points = _telemetry.Collect();
        Assert.Equal(20, Count(points, ClientDuration, MeshPair.WebId, 200));
        Assert.DoesNotContain(points, p => p.Instrument == ClientDuration && p.Tag(MtlsTelemetry.ServerSpiffeIdTag) is null);
    }

    [Fact]
    public async Task Request_spans_carry_the_full_verified_ids_on_both_sides()
    {
        await using var pair = await MeshPair.StartAsync();
        await CallAsync(pair.Client(MeshPair.WebId), 1, HttpStatusCode.OK);

        var spans = _telemetry.Spans();

        Assert.Contains(spans, s => s.Source.Name == "Microsoft.AspNetCore"
            && s.GetTagItem(MtlsTelemetry.ClientSpiffeIdTag) as string == MeshPair.WebId
            && s.GetTagItem(MtlsTelemetry.ServerSpiffeIdTag) as string == MeshPair.OrdersId);
        Assert.Contains(spans, s => s.Source.Name == "System.Net.Http"
            && s.GetTagItem(MtlsTelemetry.ClientSpiffeIdTag) as string == MeshPair.WebId
            && s.GetTagItem(MtlsTelemetry.ServerSpiffeIdTag) as string == MeshPair.OrdersId);
    }

    [Fact]
    public async Task Refused_handshakes_are_counted_with_their_error_type()
    {
        await using var pair = await MeshPair.StartAsync();
        await CallAsync(pair.Client(MeshPair.WebId), 1, HttpStatusCode.OK);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => pair.Client(MeshPair.ForgedId, forged: true).GetAsync(new Uri("/orders", UriKind.Relative)));

        // With TLS 1.3 the client learns of the refusal on its first read, and SocketsHttpHandler retries the request
        // on new connections a few times: each attempt is one refused handshake.
        var points = await _telemetry.CollectUntilAsync(p => Handshakes(p, "server", "ChainNotTrusted") >= 1);
        Assert.InRange(Handshakes(points, "server", "ChainNotTrusted"), 1, 10);
        Assert.Equal(1, Handshakes(points, "server", null));
        Assert.Equal(0, Handshakes(points, "server", "tls_error"));
        Assert.Contains(points, p => p.Instrument == MtlsTelemetry.HandshakeDurationName && p.Tag(MtlsTelemetry.SideTag) == "client" && p.Tag(MtlsTelemetry.ErrorTypeTag) is null);
    }

    [Fact]
    public async Task Handshakes_that_fail_before_a_certificate_is_checked_are_counted_as_tls_errors()
    {
        await using var pair = await MeshPair.StartAsync();

        // A plaintext caller on the TLS port: the handshake fails before a ClientHello is read.
        using (var plaintext = await ConnectAsync(pair))
        {
            await plaintext.GetStream().WriteAsync("GET /orders HTTP/1.1\r\nHost: orders\r\n\r\n"u8.ToArray());
            await ReadUntilClosedAsync(plaintext.GetStream());
        }

        // A TLS client offering only a protocol the server does not speak: options were selected, then the handshake
        // failed before any client certificate was checked.
        using (var mismatched = await ConnectAsync(pair))
        {
            await using var tls = new SslStream(mismatched.GetStream(), leaveInnerStreamOpen: false);
            await Assert.ThrowsAnyAsync<AuthenticationException>(() => tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "orders",
                ApplicationProtocols = [new SslApplicationProtocol("not-http")],
                RemoteCertificateValidationCallback = (_, _, _, _) => false,
            }));
        }

        var points = await _telemetry.CollectUntilAsync(p => Handshakes(p, "server", "tls_error") >= 2);
        Assert.Equal(2, Handshakes(points, "server", "tls_error"));
        Assert.Equal(0, Handshakes(points, "server", null));
    }

    [Fact]
    public async Task Handshakes_that_time_out_are_counted_as_timeouts()
    {
        await using var pair = await MeshPair.StartAsync(serverConfiguration: new Dictionary<string, string?> { ["Spiffe:HandshakeTimeout"] = "00:00:01" });

        using (var silent = await ConnectAsync(pair))
        {
            await ReadUntilClosedAsync(silent.GetStream());
        }

        var points = await _telemetry.CollectUntilAsync(p => Handshakes(p, "server", "timeout") >= 1);
        Assert.Equal(1, Handshakes(points, "server", "timeout"));
        Assert.Equal(0, Handshakes(points, "server", "tls_error"));
    }

    [Fact]
    public async Task A_forged_id_from_an_untrusted_ca_appears_in_no_metric_attribute_and_no_span()
    {
        await using var pair = await MeshPair.StartAsync();
        await CallAsync(pair.Client(MeshPair.WebId), 1, HttpStatusCode.OK);

        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => pair.Client(MeshPair.ForgedId, forged: true).GetAsync(new Uri("/orders", UriKind.Relative)));
        }

        var points = await _telemetry.CollectUntilAsync(p => Handshakes(p, "server", "ChainNotTrusted") >= 3);
        Assert.True(Handshakes(points, "server", "ChainNotTrusted") >= 3);
        Assert.DoesNotContain(points, p => p.Tags.Values.Any(v => v?.ToString()?.Contains("/sa/admin", StringComparison.Ordinal) == true));
        Assert.DoesNotContain(_telemetry.Spans(), s => s.TagObjects.Any(t => t.Value?.ToString()?.Contains("/sa/admin", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task Ids_are_reduced_to_their_trust_domain_when_configured()
    {
        var trustDomainOnly = new Dictionary<string, string?> { ["Spiffe:Telemetry:RequestIdentities"] = "TrustDomain" };
        await using var pair = await MeshPair.StartAsync(serverConfiguration: trustDomainOnly);
        await CallAsync(pair.Client(MeshPair.WebId, configuration: trustDomainOnly), 2, HttpStatusCode.OK);

        var points = await _telemetry.CollectUntilAsync(p => p.Any(x => x.Instrument == ServerDuration));

        var requests = points.Where(p => p.Instrument is ServerDuration or ClientDuration).ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, p => Assert.True(p.Has("spiffe://example.org", "spiffe://example.org")));
    }

    [Fact]
    public async Task Ids_matching_a_configured_pattern_are_reported_as_the_pattern()
    {
        var patterns = new Dictionary<string, string?> { ["Spiffe:Telemetry:IdPatterns:0"] = "spiffe://example.org/ns/shop/sa/*" };
        await using var pair = await MeshPair.StartAsync(serverConfiguration: patterns);
        await CallAsync(pair.Client(MeshPair.BatchId, configuration: patterns), 1, HttpStatusCode.Forbidden);

        var points = await _telemetry.CollectUntilAsync(p => p.Any(x => x.Instrument == ServerDuration));

        Assert.Contains(points, p => p.Instrument == ServerDuration && p.Has(MeshPair.BatchId, "spiffe://example.org/ns/shop/sa/*"));
        Assert.Contains(points, p => p.Instrument == ClientDuration && p.Has(MeshPair.BatchId, "spiffe://example.org/ns/shop/sa/*"));
    }

    [Fact]
    public async Task No_identity_attributes_are_added_when_identities_are_off()
    {
        var off = new Dictionary<string, string?> { ["Spiffe:Telemetry:RequestIdentities"] = "None" };
        await using var pair = await MeshPair.StartAsync(serverConfiguration: off);
        await CallAsync(pair.Client(MeshPair.WebId, configuration: off), 2, HttpStatusCode.OK);

        var points = await _telemetry.CollectUntilAsync(p => p.Any(x => x.Instrument == ServerDuration));

        Assert.Contains(points, p => p.Instrument == ServerDuration);
        Assert.Contains(points, p => p.Instrument == ClientDuration);
        Assert.DoesNotContain(points, p => p.Tags.ContainsKey(MtlsTelemetry.ClientSpiffeIdTag) || p.Tags.ContainsKey(MtlsTelemetry.ServerSpiffeIdTag));
    }

    [Fact]
    public async Task A_client_built_without_dependency_injection_carries_the_identities_too()
    {
        await using var pair = await MeshPair.StartAsync();
        using var svid = pair.Ca.IssueSvid(MeshPair.WebId);
        using var source = new Mtls.Sources.InMemoryX509Source(svid, pair.Bundles);
        using var client = new HttpClient(Mtls.Http.SpiffeHttpHandlerFactory.Create(source, Mtls.Authorization.Authorizer.Id(MeshPair.OrdersId))) { BaseAddress = pair.ServerAddress };

        await CallAsync(client, 2, HttpStatusCode.OK);

        Assert.Equal(2, Count(_telemetry.Collect(), ClientDuration, MeshPair.WebId, 200));
    }

    [Fact]
    public async Task Authorization_decisions_are_counted_by_rule()
    {
        await using var pair = await MeshPair.StartAsync();

        // The counter is the process's running total (an observable counter): earlier tests' decisions are in it.
        double before = NoBatchDenials(_telemetry.Collect());
        await CallAsync(pair.Client(MeshPair.BatchId), 2, HttpStatusCode.Forbidden);

        Assert.Equal(before + 2, NoBatchDenials(_telemetry.Collect()));
    }

    private static double NoBatchDenials(IReadOnlyList<CollectedTelemetry.Point> points) =>
        points.Where(p => p.Instrument == MtlsTelemetry.AuthorizationDecisionsName
            && p.Tag(MtlsTelemetry.RuleTag) == "no-batch" && p.Tag(MtlsTelemetry.DecisionTag) == "deny" && p.Tag(MtlsTelemetry.SideTag) == "server")
            .Sum(p => p.Value);

    [Fact]
    public async Task Svid_time_to_expiry_and_bundle_age_are_reported_per_svid_and_trust_domain()
    {
        await using var pair = await MeshPair.StartAsync();

        var points = _telemetry.Collect();

        Assert.Contains(points, p => p.Instrument == MtlsTelemetry.SvidTimeToExpiryName && p.Tag(MtlsTelemetry.SpiffeIdTag) == MeshPair.OrdersId && p.Value > 0);
        Assert.Contains(points, p => p.Instrument == MtlsTelemetry.BundleAgeName && p.Tag(MtlsTelemetry.TrustDomainTag) == "example.org" && p.Value >= 0);
    }

    public void Dispose() => _telemetry.Dispose();

    private static async Task<TcpClient> ConnectAsync(MeshPair pair)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, pair.ServerAddress.Port);
        return client;
    }

    /// <summary>Reads until the server closes the connection (bounded: the server closes within its handshake timeout).</summary>
    private static async Task ReadUntilClosedAsync(NetworkStream stream)
    {
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, bounded.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset instead of closed: closed all the same.
        }
    }

    private static async Task CallAsync(HttpClient client, int times, HttpStatusCode expected)
    {
        for (int i = 0; i < times; i++)
        {
            using var response = await client.GetAsync(new Uri("/orders", UriKind.Relative));
            Assert.Equal(expected, response.StatusCode);
        }
    }

    private static double Count(IReadOnlyList<CollectedTelemetry.Point> points, string instrument, string caller, int status) =>
        points.Where(p => p.Instrument == instrument && p.Has(caller, MeshPair.OrdersId) && p.Tag("http.response.status_code") == status.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Sum(p => p.Value);

    private static double Handshakes(IReadOnlyList<CollectedTelemetry.Point> points, string side, string? errorType) =>
        points.Where(p => p.Instrument == MtlsTelemetry.HandshakeDurationName && p.Tag(MtlsTelemetry.SideTag) == side && p.Tag(MtlsTelemetry.ErrorTypeTag) == errorType)
            .Sum(p => p.Value);
}
