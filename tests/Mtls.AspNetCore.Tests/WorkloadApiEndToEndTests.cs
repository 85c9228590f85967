using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Primitives;
using Mtls.AspNetCore.Health;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Sources;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;

namespace Mtls.AspNetCore.Tests;

/// <summary>The server takes its identity from the test kit's Workload API over a real Unix socket.</summary>
public sealed class WorkloadApiEndToEndTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestPki _pki = new();
    private readonly WorkloadApiServer _agent = new();

    public async Task InitializeAsync()
    {
        _agent.AddTrustDomain(_pki.Ca);
        _agent.SetIdentities(TestPki.ServerId);
        await _agent.StartAsync();
    }

    [Fact]
    public async Task Serves_the_agents_svid_and_the_next_connection_sees_its_rotation_without_restart()
    {
        await using var server = await StartServerAsync();
        var source = Assert.IsType<WorkloadApiX509Source>(Mtls.Hosting.SpiffeX509SourceFactory.Undecorated(server.Services.GetRequiredService<IX509Source>()));
        using var before = new TestClient(server.BaseAddress, Client(), _pki.Bundles());
        Assert.Equal(TestPki.ClientId, await before.Http.GetStringAsync("/api/hello"));
        int served = server.Logs.WithEvent("ServerServingSvid").Count;

        _agent.Rotate();
        await server.Logs.WaitUntilAsync(entries => entries.Count(e => e.EventName == "ServerServingSvid") > served, Timeout);
        using var after = new TestClient(server.BaseAddress, Client(), _pki.Bundles());
        Assert.Equal(TestPki.ClientId, await after.Http.GetStringAsync("/api/hello"));

        string rotatedSerial = source.GetX509Svid()!.Certificate.SerialNumber;
        Assert.Equal([rotatedSerial], after.ServerSerials);
        Assert.NotEqual(before.ServerSerials.Single(), rotatedSerial);
    }

    [Fact]
    public async Task A_connection_that_outlives_rotations_still_reads_its_own_certificate()
    {
        // The source disposes a snapshot's certificates soon after it is replaced; the TLS context a live connection
        // holds must not depend on them.
        await using var server = await StartServerAsync();
        using var client = new TestClient(server.BaseAddress, Client(), _pki.Bundles());
        string before = await client.Http.GetStringAsync("/api/local-certificate");

        for (int rotation = 1; rotation <= 3; rotation++)
        {
            int served = server.Logs.WithEvent("ServerServingSvid").Count;
            _agent.Rotate();
            await server.Logs.WaitUntilAsync(entries => entries.Count(e => e.EventName == "ServerServingSvid") > served, Timeout);
        }

        var response = await client.Http.GetAsync("/api/local-certificate");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, await response.Content.ReadAsStringAsync());
        Assert.Single(client.ServerSerials);
    }

    [Fact]
    public async Task Health_is_degraded_while_the_agent_is_unreachable()
    {
        await using var server = await StartServerAsync(health: true);
        var source = Assert.IsType<WorkloadApiX509Source>(Mtls.Hosting.SpiffeX509SourceFactory.Undecorated(server.Services.GetRequiredService<IX509Source>()));
        var health = server.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        await _agent.StopAsync();
        // The source sets its state before it logs the broken stream.
        await server.Logs.WaitUntilAsync(entries => entries.Any(e => e.EventName == "StreamFailed"), Timeout);
        var down = await health.CheckHealthAsync();

        Assert.Equal(HealthStatus.Degraded, down.Status);
        Assert.Equal(WorkloadApiSourceState.Reconnecting, source.State);
        Assert.Contains("unreachable (Reconnecting)", down.Entries["spiffe"].Description, StringComparison.Ordinal);
    }

    // A withdrawn identity is never served, whatever the SVID picker does.
    [Fact]
    public async Task Permission_denied_with_a_throwing_picker_stops_the_server_presenting_the_svid()
    {
        await using var source = await WorkloadApiX509Source.CreateAsync(new WorkloadApiX509SourceOptions
        {
            Address = _agent.Address,
            ReconnectDelay = TimeSpan.FromMilliseconds(10),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(100),
            // A picker written for a non-empty list, as most are.
            SvidPicker = svids => svids.First(s => s.Id.ToString() == TestPki.ServerId),
        });
        await using var server = await MtlsTestServer.StartAsync(source, configureSource: o => o.TrustDomain = "example.org");
        using (var before = new TestClient(server.BaseAddress, Client(), _pki.Bundles()))
        {
            Assert.Equal(TestPki.ClientId, await before.Http.GetStringAsync("/api/hello"));
        }

        _agent.FailWith(StatusCode.PermissionDenied, "no identity issued");
        await WaitUntilAsync(source, () => source.GetX509Svid() is null);

        using var after = new TestClient(server.BaseAddress, Client(), _pki.Bundles());
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => after.Http.GetStringAsync("/api/hello"));
        Assert.Empty(after.ServerSerials);
    }

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    public void Dispose() => _pki.Dispose();

    private Task<MtlsTestServer> StartServerAsync(bool health = false) =>
        MtlsTestServer.StartAsync(
            source: null,
            configuration: new Dictionary<string, string?> { ["Spiffe:EndpointSocket"] = _agent.Address, ["Spiffe:TrustDomain"] = "example.org" },
            configureBuilder: builder =>
            {
                if (health)
                {
                    builder.Services.AddHealthChecks().AddSpiffeHealthChecks();
                }
            });

    private static async Task WaitUntilAsync(WorkloadApiX509Source source, Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = source.GetChangeToken().RegisterChangeCallback(_ => fired.TrySetResult(), null);
            if (condition())
            {
                return;
            }

            await fired.Task.WaitAsync(cts.Token);
        }
    }

    private ClientCertificate Client() => TestPki.ToClientCertificate(_pki.Ca.Issue(TestPki.ClientId));
}
