using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Authorization;
using Mtls.Http.Tests.Servers;
using Mtls.Sources;
using Mtls.Telemetry;

namespace Mtls.Http.Tests;

public sealed class TelemetryTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly MeterListener _meters = new();
    private readonly ConcurrentQueue<(string Instrument, Dictionary<string, object?> Tags)> _measurements = new();

    public TelemetryTests()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MtlsTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
            _measurements.Enqueue((instrument.Name, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _meters.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
            _measurements.Enqueue((instrument.Name, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _meters.Start();
    }

    [Fact]
    public async Task Records_client_handshake_duration_and_allow_decision_with_the_rule_and_server_id()
    {
        // A rule no other test uses, so measurements from tests running in parallel cannot match.
        var authorizer = Authorizer.Id(TestPki.OrdersId).Or(Authorizer.Id("spiffe://example.org/telemetry-allow"));
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, server, authorizer);

        await services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetStringAsync("serial");

        _meters.RecordObservableInstruments();
        Assert.Contains(_measurements, m => m.Instrument == "mtls.authorization.decisions"
            && Tag(m, MtlsTelemetry.SideTag) == "client" && Tag(m, MtlsTelemetry.DecisionTag) == "allow"
            && Tag(m, MtlsTelemetry.RuleTag) == authorizer.ToString() && Tag(m, MtlsTelemetry.PeerSpiffeIdTag) == TestPki.OrdersId);
        Assert.Contains(_measurements, m => m.Instrument == MtlsTelemetry.HandshakeDurationName
            && Tag(m, MtlsTelemetry.SideTag) == "client" && !m.Tags.ContainsKey(MtlsTelemetry.ErrorTypeTag));
    }

    [Fact]
    public async Task Records_deny_decision_and_a_handshake_with_error_type_unauthorized_for_a_refused_server()
    {
        var authorizer = Authorizer.Id("spiffe://example.org/telemetry-deny");
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.BillingId), _pki.Bundles);
        await using var services = Services(source, server, authorizer);

        await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetStringAsync("serial"));

        _meters.RecordObservableInstruments();
        Assert.Contains(_measurements, m => m.Instrument == "mtls.authorization.decisions"
            && Tag(m, MtlsTelemetry.SideTag) == "client" && Tag(m, MtlsTelemetry.DecisionTag) == "deny"
            && Tag(m, MtlsTelemetry.RuleTag) == authorizer.ToString() && Tag(m, MtlsTelemetry.PeerSpiffeIdTag) == TestPki.BillingId);
        Assert.Contains(_measurements, m => m.Instrument == MtlsTelemetry.HandshakeDurationName
            && Tag(m, MtlsTelemetry.SideTag) == "client" && Tag(m, MtlsTelemetry.ErrorTypeTag) == "unauthorized");
    }

    [Fact]
    public async Task Tags_the_client_handshake_activity_with_the_server_spiffe_id()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MtlsTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, server, Authorizer.Id(TestPki.OrdersId));

        await services.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetStringAsync("serial");

        string port = server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(stopped, a => a.OperationName == "mtls.client.handshake" && a.Kind == ActivityKind.Client
            && a.GetTagItem("server.port") as string == port
            && a.GetTagItem(MtlsTelemetry.PeerSpiffeIdTag) as string == TestPki.OrdersId
            && a.GetTagItem(MtlsTelemetry.OutcomeTag) as string == "ok");
    }

    public void Dispose()
    {
        _meters.Dispose();
        _pki.Dispose();
    }

    private static string? Tag((string Instrument, Dictionary<string, object?> Tags) measurement, string key) =>
        measurement.Tags.GetValueOrDefault(key) as string;

    private static ServiceProvider Services(IX509Source source, KestrelTestServer server, Authorizer authorizer)
    {
        var services = new ServiceCollection();
        services.AddSingleton(source);
        services.AddHttpClient("orders", c => c.BaseAddress = server.BaseAddress).AddSpiffeMtls(authorizer);
        return services.BuildServiceProvider();
    }
}
