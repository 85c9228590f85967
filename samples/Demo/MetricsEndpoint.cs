using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Demo;

/// <summary>
/// The demo's Prometheus scrape target: plain http on 127.0.0.1, exporting every service of this process through
/// <c>AddMtlsInstrumentation()</c> (request metrics with verified identities, handshakes, decisions, SVID expiry). In a
/// real service it is one more line beside <c>AddSpiffeMtls()</c> and an exempt port (see the README).
/// </summary>
internal static class MetricsEndpoint
{
    internal static WebApplication Build()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMtlsInstrumentation().AddPrometheusExporter());
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint();
        return app;
    }
}
