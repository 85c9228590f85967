using System.Diagnostics.Metrics;
using Grpc.Core;
using Grpc.Net.Client;
using Mtls.AspNetCore.Tests.Grpc;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Sources;
using Mtls.Telemetry;

namespace Mtls.AspNetCore.Tests;

/// <summary>ASP.NET Core's own request metric carries the verified identities, for gRPC calls as for HTTP requests.</summary>
public sealed class RequestMetricIdentityTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly MeterListener _listener = new();
    private readonly TaskCompletionSource<Dictionary<string, object?>> _recorded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _clientId = "spiffe://example.org/grpc-metrics-" + Guid.NewGuid().ToString("N");

    public RequestMetricIdentityTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name == "http.server.request.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var recorded = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            if (recorded.TryGetValue(MtlsTelemetry.ClientSpiffeIdTag, out var id) && id as string == _clientId)
            {
                _recorded.TrySetResult(recorded);
            }
        });
        _listener.Start();
    }

    [Fact]
    public async Task A_denied_grpc_call_carries_the_callers_and_the_servers_verified_ids_on_the_server_request_metric()
    {
        using var serverSvid = _pki.Ca.IssueSvid(TestPki.ServerId);
        using var source = new InMemoryX509Source(serverSvid, _pki.Bundles());
        await using var server = await MtlsTestServer.StartAsync(source);
        using var client = new TestClient(server.BaseAddress, TestPki.ToClientCertificate(_pki.Ca.Issue(_clientId)), _pki.Bundles());
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = client.Handler, DisposeHttpClient = false });

        // The service admits only TestPki.ClientId: this caller (a unique ID, so parallel tests cannot match) is denied.
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Echo.EchoClient(channel).WhoAmIAsync(new WhoAmIRequest()));

        var tags = await _recorded.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(TestPki.ServerId, tags[MtlsTelemetry.ServerSpiffeIdTag]);
        Assert.Equal(403, tags["http.response.status_code"]);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _pki.Dispose();
    }
}
