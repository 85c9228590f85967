using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Inventory;
using Mtls.AspNetCore.Tests.Composition;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Hosting;
using Mtls.Sources;

namespace Mtls.AspNetCore.Tests.Migration;

/// <summary>
/// The caller inventory on real Kestrel: what a scripted mix of callers sent, as recorded, and the rule set it
/// suggests, loaded back into a server.
/// </summary>
public sealed class CallerInventoryTests : IDisposable
{
    private const string Web = "spiffe://example.org/ns/shop/sa/web";
    private readonly TestPki _pki = new();
    private readonly InMemoryX509Source _source;

    public CallerInventoryTests() => _source = new InMemoryX509Source(_pki.Ca.IssueSvid(TestPki.ServerId), _pki.Bundles());

    /// <summary>The scripted mix: (caller, method, path) with the caller a SPIFFE ID or null for plaintext.</summary>
    private static readonly (string? Caller, string Method, string Path)[] Mix =
    [
        (TestPki.ClientId, "GET", "/api/hello"),
        (TestPki.ClientId, "GET", "/API/Hello/"),
        (TestPki.ClientId, "POST", "/api/orders"),
        (TestPki.ClientId, "GET", "/api/orders/7"),
        (TestPki.ClientId, "GET", "/api/orders/8"),
        (Web, "GET", "/api/secret"),
        (null, "GET", "/api/hello"),
        (null, "GET", "/api/hello"),
        (null, "GET", "/api/hello"),
    ];

    [Fact]
    public async Task Inventory_after_a_mix_of_callers_equals_what_was_sent()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        await SendMixAsync(host);
        using var plaintext = host.PlaintextClient();
        Assert.Equal(HttpStatusCode.NotFound, await MigrationHost.SendAsync(plaintext, HttpMethod.Get, "/nowhere"));

        using var report = await ReadInventoryAsync(host);

        var calls = report.RootElement.GetProperty("calls").EnumerateArray()
            .Select(c => (c.GetProperty("peer").GetString(), c.GetProperty("method").GetString(), c.GetProperty("route").GetString(), c.GetProperty("count").GetInt64()))
            .ToHashSet();
        var expected = new HashSet<(string?, string?, string?, long)>
        {
            (TestPki.ClientId, "GET", "/api/hello", 2),
            (TestPki.ClientId, "POST", "/api/orders", 1),
            (TestPki.ClientId, "GET", "/api/orders/{id}", 2),
            (Web, "GET", "/api/secret", 1),
            ("plaintext", "GET", "/api/hello", 3),
            ("plaintext", "GET", "(no route)", 1),
        };
        Assert.Equal(expected, calls);
        Assert.All(report.RootElement.GetProperty("calls").EnumerateArray(), c =>
            Assert.True(c.GetProperty("firstSeen").GetDateTimeOffset() <= c.GetProperty("lastSeen").GetDateTimeOffset()));
        Assert.Equal(0, report.RootElement.GetProperty("overflow").GetInt64());
        Assert.Equal(["/api/orders/{id}"], report.RootElement.GetProperty("widenedRoutes").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Suggested_rule_set_loaded_back_allows_exactly_the_observed_calls()
    {
        string suggested;
        await using (var observed = await MigrationHost.StartAsync(_pki, _source, permissive: true))
        {
            await SendMixAsync(observed);
            using var report = await ReadInventoryAsync(observed);
            suggested = report.RootElement.GetProperty("suggestedConfiguration").GetRawText();
        }

        // The first host's container disposed its source: the second gets one of its own.
        using var source = new InMemoryX509Source(_pki.Ca.IssueSvid(TestPki.ServerId), _pki.Bundles());
        using var json = new MemoryStream(Encoding.UTF8.GetBytes(suggested));
        await using var host = await MigrationHost.StartAsync(_pki, source, permissive: true, jsonConfiguration: json);

        foreach (var (caller, method, path) in Mix)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(host, caller, method, path));
        }

        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(host, TestPki.ClientId, "GET", "/api/secret"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(host, Web, "GET", "/api/hello"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(host, null, "GET", "/api/secret"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(host, null, "POST", "/api/orders"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(host, "spiffe://example.org/stranger", "GET", "/api/hello"));
        Assert.Equal(Mix.Length, host.Invocations);
    }

    [Fact]
    public async Task Inventory_refuses_callers_outside_its_policy()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var client = host.MtlsClient(TestPki.ClientId);
        using var plaintext = host.PlaintextClient();

        var byClient = await MigrationHost.SendAsync(client.Http, HttpMethod.Get, MigrationHost.InventoryPath);
        var byPlaintext = await MigrationHost.SendAsync(plaintext, HttpMethod.Get, MigrationHost.InventoryPath);

        Assert.True(byClient is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, byClient.ToString());
        Assert.True(byPlaintext is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, byPlaintext.ToString());
    }

    [Fact]
    public async Task MapSpiffeCallerInventory_refuses_to_map_without_a_policy()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => CompositionHost.StartAsync(
            builder =>
            {
                builder.WebHost.UseUrls("https://127.0.0.1:0");
                builder.Services.AddSpiffeX509Source(_source);
                builder.Services.AddSpiffeMtls();
            },
            static (app, _) => app.MapSpiffeCallerInventory("/_mtls/inventory", " ")));

        Assert.Contains("authorization policy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inventory_marked_AllowAnonymous_afterwards_still_refuses()
    {
        await using var host = await CompositionHost.StartAsync(
            builder =>
            {
                builder.WebHost.UseUrls("https://127.0.0.1:0");
                builder.Services.AddSpiffeX509Source(_source);
                builder.Services.AddSpiffeMtls();
                builder.Services.AddAuthorizationBuilder().AddPolicy("operators", p => p.RequireSpiffeId(MigrationHost.OperatorId));
            },
            static (app, _) => app.MapSpiffeCallerInventory("/_mtls/inventory", "operators").AllowAnonymous());
        using var client = new TestClient(host.Address, TestPki.ToClientCertificate(_pki.Ca.Issue(TestPki.ClientId)), _pki.Bundles());

        Assert.Equal(HttpStatusCode.Forbidden, await MigrationHost.SendAsync(client.Http, HttpMethod.Get, "/_mtls/inventory"));
    }

    [Fact]
    public async Task Inventory_is_bounded_and_counts_what_overflows()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true, new Dictionary<string, string?>
        {
            ["Spiffe:CallerInventory:MaxEntries"] = "2",
        });
        using var client = host.MtlsClient(TestPki.ClientId);

        await client.Http.GetStringAsync("/api/hello");
        await client.Http.GetStringAsync("/api/secret");
        await client.Http.GetStringAsync("/api/counted");
        await client.Http.GetStringAsync("/api/counted");
        await client.Http.GetStringAsync("/api/hello");

        using var report = await ReadInventoryAsync(host);
        Assert.Equal(2, report.RootElement.GetProperty("calls").GetArrayLength());
        Assert.Equal(2, report.RootElement.GetProperty("overflow").GetInt64());
        Assert.Equal(2, report.RootElement.GetProperty("maxEntries").GetInt32());
    }

    [Fact]
    public async Task Inventory_bound_out_of_range_stops_startup_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => MigrationHost.StartAsync(_pki, _source, permissive: true, new Dictionary<string, string?>
        {
            ["Spiffe:CallerInventory:MaxEntries"] = "0",
        }));

        Assert.Contains("Spiffe:CallerInventory:MaxEntries", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inventory_records_nothing_on_a_strict_server_without_audit_rules()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: false);
        using var client = host.MtlsClient(TestPki.ClientId);
        await client.Http.GetStringAsync("/api/hello");

        using var report = await ReadInventoryAsync(host);

        Assert.Equal(0, report.RootElement.GetProperty("calls").GetArrayLength());
    }

    [Fact]
    public async Task Inventory_records_on_a_strict_server_while_a_rule_audits()
    {
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: false, new Dictionary<string, string?>
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "learn",
            ["Spiffe:Authorization:Rules:0:Action"] = "Audit",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = "*",
        });
        using var client = host.MtlsClient(TestPki.ClientId);
        await client.Http.GetStringAsync("/api/hello");

        using var report = await ReadInventoryAsync(host);

        var call = Assert.Single(report.RootElement.GetProperty("calls").EnumerateArray());
        Assert.Equal(TestPki.ClientId, call.GetProperty("peer").GetString());
    }

    [Fact]
    public async Task Inventory_metric_counts_each_recorded_call_by_peer_method_and_route()
    {
        const string Counted = "spiffe://example.org/metric-probe";
        var seen = new List<(string?, string?, long)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Telemetry.MtlsTelemetry.Name && instrument.Name == "mtls.inventory.calls")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var values = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                values[tag.Key] = tag.Value;
            }

            if (Equals(values.GetValueOrDefault("spiffe.peer.id"), Counted))
            {
                lock (seen)
                {
                    seen.Add(((string?)values.GetValueOrDefault("http.request.method"), (string?)values.GetValueOrDefault("http.route"), value));
                }
            }
        });
        listener.Start();
        await using var host = await MigrationHost.StartAsync(_pki, _source, permissive: true);
        using var client = host.MtlsClient(Counted);

        await client.Http.GetStringAsync("/api/orders/1");
        await client.Http.PostAsync("/api/orders", null);

        lock (seen)
        {
            Assert.Equal([("GET", "/api/orders/{id}", 1L), ("POST", "/api/orders", 1L)], seen);
        }
    }

    public void Dispose()
    {
        _source.Dispose();
        _pki.Dispose();
    }

    private static async Task SendMixAsync(MigrationHost host)
    {
        foreach (var (caller, method, path) in Mix)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(host, caller, method, path));
        }
    }

    private static async Task<HttpStatusCode> SendAsync(MigrationHost host, string? caller, string method, string path)
    {
        if (caller is null)
        {
            using var plaintext = host.PlaintextClient();
            return await MigrationHost.SendAsync(plaintext, new HttpMethod(method), path);
        }

        using var client = host.MtlsClient(caller);
        return await MigrationHost.SendAsync(client.Http, new HttpMethod(method), path);
    }

    private static async Task<JsonDocument> ReadInventoryAsync(MigrationHost host)
    {
        using var operatorClient = host.MtlsClient(MigrationHost.OperatorId);
        using var response = await operatorClient.Http.GetAsync(MigrationHost.InventoryPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
