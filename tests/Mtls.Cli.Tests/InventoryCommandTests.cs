using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Inventory;
using Mtls.Authorization;
using Mtls.Hosting;
using Mtls.Http;
using Mtls.Sources;

namespace Mtls.Cli.Tests;

/// <summary><c>mtls inventory</c>: the who-calls-whom table from a server's inventory endpoint (over mTLS) and from a saved file.</summary>
public sealed class InventoryCommandTests
{
    private const string Saved = """
        {
          "maxEntries": 1000,
          "overflow": 0,
          "calls": [
            { "peer": "spiffe://example.org/web", "method": "GET", "route": "/orders/{id}", "count": 12, "firstSeen": "2026-12-02T10:00:00+00:00", "lastSeen": "2026-12-02T11:00:00+00:00" },
            { "peer": "plaintext", "method": "POST", "route": "/orders", "count": 3, "firstSeen": "2026-12-02T10:00:00+00:00", "lastSeen": "2026-12-02T10:30:00+00:00" }
          ],
          "widenedRoutes": ["/orders/{id}"],
          "suggestedConfiguration": { "Spiffe": { "Authorization": { "Rules": [] } } }
        }
        """;

    [Fact]
    public async Task Inventory_file_prints_who_calls_whom_and_the_plaintext_callers_left()
    {
        await using var identity = await TestIdentity.StartAsync();
        string path = identity.WriteFile("inventory.json", Saved);

        var result = await Cli.RunAsync("inventory", path);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n');
        Assert.StartsWith("CALLER", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("spiffe://example.org/web  GET", StringComparison.Ordinal) && l.Contains("/orders/{id}", StringComparison.Ordinal) && l.Contains(" 12 ", StringComparison.Ordinal));
        Assert.Contains("Plaintext callers still to move before STRICT: POST /orders.", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inventory_rules_prints_the_suggested_configuration_alone()
    {
        await using var identity = await TestIdentity.StartAsync();
        string path = identity.WriteFile("inventory.json", Saved);

        var result = await Cli.RunAsync("inventory", path, "--rules");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("Spiffe").GetProperty("Authorization").GetProperty("Rules").ValueKind);
    }

    [Fact]
    public async Task Inventory_file_that_is_not_an_inventory_is_refused()
    {
        await using var identity = await TestIdentity.StartAsync();
        string path = identity.WriteFile("other.json", "{\"hello\": 1}");

        var result = await Cli.RunAsync("inventory", path);

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        Assert.Contains("not a caller inventory", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inventory_url_is_fetched_over_mtls_with_the_workload_svid()
    {
        await using var identity = await TestIdentity.StartAsync();
        using var serverSource = new InMemoryX509Source(identity.Ca.IssueSvid("spiffe://example.org/server"), new([identity.Ca.CreateBundle()]));
        await using var server = await StartServerAsync(serverSource);
        string address = server.Urls.Single();
        using (var callerSource = new InMemoryX509Source(identity.Ca.IssueSvid("spiffe://example.org/batch"), new([identity.Ca.CreateBundle()])))
        using (var caller = new HttpClient(SpiffeHttpHandlerFactory.Create(callerSource, Authorizer.Any())))
        {
            Assert.Equal("ok", await caller.GetStringAsync(new Uri(address + "/orders/1")));
        }

        var result = await Cli.RunAsync("inventory", address + "/_mtls/inventory", "--socket", identity.Socket, "--id", "spiffe://example.org/server", "--json");
        var refused = await Cli.RunAsync("inventory", address + "/_mtls/inventory", "--socket", identity.Socket, "--id", "spiffe://example.org/not-the-server");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var caller1 = Assert.Single(json.RootElement.GetProperty("callers").EnumerateArray());
        Assert.Equal("spiffe://example.org/batch", caller1.GetProperty("peer").GetString());
        Assert.Equal("GET /orders/{id}", Assert.Single(caller1.GetProperty("routes").EnumerateArray()).GetString());
        Assert.Equal(ExitCodes.Invalid, refused.ExitCode);
        Assert.Contains("presented", refused.Error, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartServerAsync(IX509Source source)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("https://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "learn",
            ["Spiffe:Authorization:Rules:0:Action"] = "Audit",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = "*",
        });
        builder.Services.AddSpiffeX509Source(source);
        builder.Services.AddSpiffeMtls();
        builder.Services.AddAuthorizationBuilder().AddPolicy("operators", p => p.RequireSpiffeId(TestIdentity.WorkloadId));
        var app = builder.Build();
        app.MapGet("/orders/{id}", (string id) => "ok");
        app.MapSpiffeCallerInventory("/_mtls/inventory", "operators");
        await app.StartAsync();
        return app;
    }
}
