using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Sources;

namespace Mtls.AspNetCore.Tests.Migration;

/// <summary>
/// PERMISSIVE endpoints (<c>Spiffe:PermissivePorts</c>) on real Kestrel: mTLS callers exactly as on a STRICT endpoint,
/// plaintext callers without a peer, as Istio's rules see them.
/// </summary>
public sealed class PermissiveModeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TestPki _pki = new();
    private readonly InMemoryX509Source _source;

    public PermissiveModeTests() => _source = new InMemoryX509Source(_pki.Ca.IssueSvid(TestPki.ServerId), _pki.Bundles());

    [Fact]
    public async Task Permissive_endpoint_serves_an_mtls_caller_with_its_peer_and_a_plaintext_caller_without()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var mtls = host.MtlsClient(TestPki.ClientId);
        using var plaintext = host.PlaintextClient();

        Assert.Equal(TestPki.ClientId, await mtls.Http.GetStringAsync("/api/hello"));
        Assert.Equal("(none)", await plaintext.GetStringAsync("/api/hello"));
        Assert.Equal("(none)", await plaintext.GetStringAsync("/api/hello"));
        Assert.Equal(TestPki.ClientId, await mtls.Http.GetStringAsync("/api/hello"));
        Assert.Equal(4, host.Invocations);
    }

    [Fact]
    public async Task Permissive_http2_endpoint_serves_plaintext_http2_with_prior_knowledge_as_grpc_callers_send_it()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true, new Dictionary<string, string?>
        {
            ["Kestrel:EndpointDefaults:Protocols"] = "Http2",
        });
        using var plaintext = host.PlaintextClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/hello") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var mtls = host.MtlsClient(TestPki.ClientId);
        using var mtlsRequest = new HttpRequestMessage(HttpMethod.Get, "/api/hello") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await plaintext.SendAsync(request);
        using var mtlsResponse = await mtls.Http.SendAsync(mtlsRequest);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("(none)", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpVersion.Version20, mtlsResponse.Version);
        Assert.Equal(TestPki.ClientId, await mtlsResponse.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Permissive_port_counts_as_covered_at_startup()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);

        var covered = Assert.Single(host.Logs.WithEvent("SpiffeEndpointCovered"));
        Assert.StartsWith("PERMISSIVE", covered["Coverage"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_endpoint_refuses_the_plaintext_caller()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: false);
        using var plaintext = host.PlaintextClient();
        using var mtls = host.MtlsClient(TestPki.ClientId);

        await Assert.ThrowsAsync<HttpRequestException>(() => plaintext.GetAsync("/api/hello"));
        Assert.Equal(TestPki.ClientId, await mtls.Http.GetStringAsync("/api/hello"));
        Assert.Equal(1, host.Invocations);
    }

    [Fact]
    public async Task Permissive_endpoint_still_refuses_a_client_certificate_from_another_trust_domain()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var foreign = host.MtlsClient("spiffe://other.org/client", _pki.Other);

        await Assert.ThrowsAsync<HttpRequestException>(() => foreign.Http.GetAsync("/api/hello"));
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Permissive_endpoint_still_refuses_a_tls_caller_without_a_client_certificate()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var anonymous = new TestClient(new Uri($"https://127.0.0.1:{host.Port}"), null, _pki.Bundles());

        await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.Http.GetAsync("/api/hello"));
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Principals_never_match_a_plaintext_request()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true, new Dictionary<string, string?>
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "any-peer",
            ["Spiffe:Authorization:Rules:0:Action"] = "Allow",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = "*",
        });
        using var mtls = host.MtlsClient(TestPki.ClientId);
        using var plaintext = host.PlaintextClient();

        Assert.Equal(HttpStatusCode.OK, await MigrationHost.SendAsync(mtls.Http, HttpMethod.Get, "/api/hello"));
        Assert.Equal(HttpStatusCode.Forbidden, await MigrationHost.SendAsync(plaintext, HttpMethod.Get, "/api/hello"));
        Assert.Equal(1, host.Invocations);
        var denied = Assert.Single(host.Logs.WithEvent("SpiffeRuleDenied"));
        Assert.Equal("(none)", denied["PeerSpiffeId"]);
    }

    [Fact]
    public async Task Deny_with_NotPrincipals_star_refuses_every_plaintext_request_and_no_mtls_one()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true, new Dictionary<string, string?>
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "require-mtls",
            ["Spiffe:Authorization:Rules:0:Action"] = "Deny",
            ["Spiffe:Authorization:Rules:0:NotPrincipals:0"] = "*",
        });
        using var mtls = host.MtlsClient(TestPki.ClientId);
        using var plaintext = host.PlaintextClient();

        Assert.Equal(HttpStatusCode.Forbidden, await MigrationHost.SendAsync(plaintext, HttpMethod.Get, "/api/hello"));
        Assert.Equal(HttpStatusCode.OK, await MigrationHost.SendAsync(mtls.Http, HttpMethod.Get, "/api/hello"));
        Assert.Equal(1, host.Invocations);
    }

    [Fact]
    public async Task Allow_with_only_NotPrincipals_admits_plaintext_callers_as_in_istio()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true, new Dictionary<string, string?>
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "all-but-batch",
            ["Spiffe:Authorization:Rules:0:Action"] = "Allow",
            ["Spiffe:Authorization:Rules:0:NotPrincipals:0"] = "spiffe://example.org/batch",
        });
        using var batch = host.MtlsClient("spiffe://example.org/batch");
        using var plaintext = host.PlaintextClient();

        Assert.Equal(HttpStatusCode.OK, await MigrationHost.SendAsync(plaintext, HttpMethod.Get, "/api/hello"));
        Assert.Equal(HttpStatusCode.Forbidden, await MigrationHost.SendAsync(batch.Http, HttpMethod.Get, "/api/hello"));
    }

    [Fact]
    public async Task Spiffe_policies_refuse_a_plaintext_request()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var mtls = host.MtlsClient(TestPki.ClientId);
        using var plaintext = host.PlaintextClient();

        var refused = await MigrationHost.SendAsync(plaintext, HttpMethod.Get, "/api/client-only");
        Assert.Equal(HttpStatusCode.OK, await MigrationHost.SendAsync(mtls.Http, HttpMethod.Get, "/api/client-only"));

        Assert.True(refused is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, refused.ToString());
        Assert.Equal(1, host.Invocations);
    }

    [Fact]
    public async Task Plaintext_requests_are_counted_and_logged_by_route()
    {
        long counted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Telemetry.MtlsTelemetry.Name && instrument.Name == "mtls.permissive.plaintext_requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "http.route", Value: "/api/counted" })
                {
                    Interlocked.Add(ref counted, value);
                }
            }
        });
        listener.Start();
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var mtls = host.MtlsClient(TestPki.ClientId);
        using var plaintext = host.PlaintextClient();

        await plaintext.GetStringAsync("/api/counted");
        await plaintext.GetStringAsync("/api/counted");
        await mtls.Http.GetStringAsync("/api/counted");

        Assert.Equal(2, Interlocked.Read(ref counted));
        var logged = host.Logs.WithEvent("SpiffePlaintextRequest");
        Assert.Equal(2, logged.Count);
        Assert.All(logged, e =>
        {
            Assert.Equal("/api/counted", e["Route"]);
            Assert.Equal("GET", e["Method"]);
            Assert.Equal(host.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), e["Port"]);
        });
    }

    [Fact]
    public async Task Plaintext_log_lines_are_rate_limited_per_route()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var plaintext = host.PlaintextClient();

        for (int i = 0; i < 15; i++)
        {
            await plaintext.GetStringAsync("/api/hello");
        }

        await plaintext.GetStringAsync("/api/secret");

        Assert.Equal(10, host.Logs.WithEvent("SpiffePlaintextRequest").Count(e => e["Route"] == "/api/hello"));
        Assert.Single(host.Logs.WithEvent("SpiffePlaintextRequest"), e => e["Route"] == "/api/secret");
        Assert.Equal(16, host.Invocations);
    }

    [Fact]
    public async Task A_connection_that_sends_nothing_is_closed_after_the_handshake_timeout()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true, configure: o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(200));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, host.Port);

        int read;
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            try
            {
                read = await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token);
            }
            catch (SocketException)
            {
                read = 0;
            }
        }

        Assert.Equal(0, read);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Bytes_that_start_like_a_tls_record_never_reach_http_as_plaintext()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, host.Port);
        byte[] disguised = [0x16, .. "GET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n"u8];
        await socket.SendAsync(disguised, SocketFlags.None);

        var received = new List<byte>();
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            var buffer = new byte[512];
            for (int i = 0; i < 64; i++)
            {
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                }
                catch (SocketException)
                {
                    break;
                }

                if (read == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, read).ToArray());
            }
        }

        Assert.DoesNotContain("HTTP/1.1", System.Text.Encoding.ASCII.GetString([.. received]), StringComparison.Ordinal);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task A_port_both_permissive_and_exempt_stops_startup()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => MigrationHost.StartAsync(_pki, _source, permissive: true, configure: o =>
        {
            o.ExemptPort(o.PermissivePorts[0], "probes");
        }));

        Assert.Contains("Spiffe:PermissivePorts:0", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _source.Dispose();
        _pki.Dispose();
    }
}
