using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore;
using Mtls.Bundles;
using Mtls.Hosting;
using Mtls.Sources;
using Mtls.Testing.Certificates;

namespace Mtls.Cli.Tests;

/// <summary>
/// <c>mtls probe</c> against a real Mtls server on Kestrel: one line naming the side that refused and why, for each
/// diagnosis the tool promises.
/// </summary>
public sealed class ProbeCommandTests
{
    private const string ServerId = "spiffe://example.org/server";

    [Fact]
    public async Task Probe_of_a_server_that_accepts_us_says_ok()
    {
        await using var identity = await TestIdentity.StartAsync();
        await using var server = await StartServerAsync(identity);

        var result = await Cli.RunAsync("probe", server.Urls.Single(), "--id", ServerId, "--socket", identity.Socket);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith($"ok: {ServerId} accepted me ({TestIdentity.WorkloadId})", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_of_an_http2_only_server_says_ok()
    {
        await using var identity = await TestIdentity.StartAsync();
        await using var server = await StartServerAsync(identity, http2Only: true);

        var result = await Cli.RunAsync("probe", server.Urls.Single(), "--id", ServerId, "--socket", identity.Socket);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith($"ok: {ServerId} accepted me", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_says_the_server_presented_the_wrong_id()
    {
        await using var identity = await TestIdentity.StartAsync();
        await using var server = await StartServerAsync(identity);

        var result = await Cli.RunAsync("probe", server.Urls.Single(), "--id", "spiffe://example.org/payments", "--socket", identity.Socket, "--json");

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal("client", json.RootElement.GetProperty("refusedBy").GetString());
        Assert.Equal("wrong-server-id", json.RootElement.GetProperty("reason").GetString());
        Assert.Equal(ServerId, json.RootElement.GetProperty("serverId").GetString());
        Assert.Contains("server presented the wrong ID", json.RootElement.GetProperty("diagnosis").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_says_the_server_refused_my_trust_domain()
    {
        await using var identity = await TestIdentity.StartAsync();
        identity.Agent.AddTrustDomain(identity.Other);
        identity.Agent.SetIdentities("spiffe://other.org/web");

        // The server holds other.org's bundle (federation) but admits only its own trust domain at the handshake.
        await using var server = await StartServerAsync(identity, trustOther: true);

        var result = await Cli.RunAsync("probe", server.Urls.Single(), "--id", ServerId, "--socket", identity.Socket);

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        Assert.StartsWith("server refused my trust domain", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_says_my_svid_expired()
    {
        await using var identity = await TestIdentity.StartAsync();
        await using var server = await StartServerAsync(identity);
        string files = identity.WriteFiles(TestIdentity.WorkloadId, new SvidSpec
        {
            NotBefore = DateTimeOffset.UtcNow.AddHours(-2),
            NotAfter = DateTimeOffset.UtcNow.AddMinutes(-5),
        });

        var result = await Cli.RunAsync("probe", server.Urls.Single(), "--id", ServerId, "--files", files, "--json");

        Assert.Equal(ExitCodes.Invalid, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal("server", json.RootElement.GetProperty("refusedBy").GetString());
        Assert.Equal("my-svid-expired", json.RootElement.GetProperty("reason").GetString());
        Assert.Contains("my SVID expired", json.RootElement.GetProperty("diagnosis").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_says_there_is_no_agent_at_that_socket()
    {
        await using var identity = await TestIdentity.StartAsync();
        string missing = "unix://" + Path.Combine(identity.Directory, "agent.sock");

        var result = await Cli.RunAsync("probe", "https://127.0.0.1:1", "--id", ServerId, "--socket", missing);

        Assert.Equal(ExitCodes.NoIdentity, result.ExitCode);
        Assert.Contains("no agent at that socket", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_of_a_closed_port_says_it_cannot_connect()
    {
        await using var identity = await TestIdentity.StartAsync();
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        var result = await Cli.RunAsync("probe", $"https://127.0.0.1:{port}", "--id", ServerId, "--socket", identity.Socket);

        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.StartsWith("cannot connect to 127.0.0.1:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_without_a_url_is_a_usage_error()
    {
        var result = await Cli.RunAsync("probe", "http://127.0.0.1:1", "--id", ServerId);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
    }

    private static async Task<WebApplication> StartServerAsync(TestIdentity identity, bool trustOther = false, bool http2Only = false)
    {
        X509Bundle[] bundles = trustOther ? [identity.Ca.CreateBundle(), identity.Other.CreateBundle()] : [identity.Ca.CreateBundle()];
        var source = new InMemoryX509Source(identity.Ca.IssueSvid(ServerId), new X509BundleSet(bundles));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("https://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (http2Only)
        {
            builder.Configuration["Kestrel:EndpointDefaults:Protocols"] = "Http2";
        }

        builder.Services.AddSpiffeX509Source(source);
        builder.Services.AddSpiffeMtls();
        var app = builder.Build();
        app.MapGet("/", () => "ok");
        await app.StartAsync();
        return app;
    }
}
