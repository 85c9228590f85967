using Mtls.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Mtls.OpenTelemetry;

/// <summary>
/// Enables Mtls in OpenTelemetry with one call per provider:
/// <code>
/// services.AddOpenTelemetry()
///     .WithMetrics(m => m.AddMtlsInstrumentation().AddPrometheusExporter())
///     .WithTracing(t => t.AddMtlsInstrumentation().AddOtlpExporter());
/// </code>
/// </summary>
public static class MtlsInstrumentationExtensions
{
    /// <summary>
    /// The meters whose request metrics Mtls adds verified identities to: ASP.NET Core's
    /// <c>http.server.request.duration</c> (HTTP and gRPC) and HttpClient's <c>http.client.request.duration</c>. Not
    /// Kestrel's: its per-request queue counters cost as much again per HTTP/2 request (measured), and handshakes that
    /// fail before a certificate is checked are in <c>mtls.handshake.duration</c> already; add the meter
    /// <c>Microsoft.AspNetCore.Server.Kestrel</c> for its connection metrics.
    /// </summary>
    private static readonly string[] RequestMeters = ["Microsoft.AspNetCore.Hosting", "System.Net.Http"];

    /// <summary>The activity sources of the request spans that carry the same identities.</summary>
    private static readonly string[] RequestSources = ["Microsoft.AspNetCore", "System.Net.Http"];

    /// <summary>
    /// Collects the <c>Mtls</c> meter (<c>mtls.handshake.duration</c>, <c>mtls.authorization.decisions</c>,
    /// <c>mtls.svid.time_to_expiry</c>, <c>mtls.bundle.age</c>, rotations, rejected updates) and the platform's HTTP
    /// request metrics, which carry <c>spiffe.client.id</c> and <c>spiffe.server.id</c> on mTLS requests.
    /// </summary>
    public static MeterProviderBuilder AddMtlsInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter([MtlsTelemetry.Name, .. RequestMeters]);
    }

    /// <summary>
    /// Collects the <c>Mtls</c> activity source (handshake spans) and the platform's HTTP request spans, which carry
    /// the verified <c>spiffe.client.id</c> and <c>spiffe.server.id</c> on mTLS requests.
    /// </summary>
    public static TracerProviderBuilder AddMtlsInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource([MtlsTelemetry.Name, .. RequestSources]);
    }
}
