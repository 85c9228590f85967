using System.Diagnostics;
using System.Net.Http.Metrics;
using Mtls.Telemetry;

namespace Mtls.Http;

/// <summary>
/// Puts the verified identities of the connection that carried a request on HttpClient's own
/// <c>http.client.request.duration</c> (through <see cref="HttpMetricsEnrichmentContext"/>) and on its span:
/// <c>spiffe.server.id</c> (the server the handshake verified) and <c>spiffe.client.id</c> (the SVID we presented).
/// Only when <see cref="SpiffeOriginConnections"/> can tell the carrying connection's identity; otherwise none.
/// </summary>
internal sealed class SpiffeTelemetryHandler : DelegatingHandler
{
    private static readonly HttpRequestOptionsKey<RequestAttribution> AttributionKey = new("Mtls.RequestAttribution");

    private readonly SpiffeConnectionIdentities _identities;

    internal SpiffeTelemetryHandler(SpiffeConnectionIdentities identities, HttpMessageHandler? inner = null)
    {
        _identities = identities;
        if (inner is not null)
        {
            InnerHandler = inner;
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Begin(request);
        return base.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Begin(request);
        return base.Send(request, cancellationToken);
    }

    private void Begin(HttpRequestMessage request)
    {
        if (_identities.For(request.RequestUri) is not { } origin)
        {
            return;
        }

        // A retry sends the same message again: one callback per message, restarted per attempt.
        if (request.Options.TryGetValue(AttributionKey, out var attribution))
        {
            attribution.Restart(origin);
            return;
        }

        attribution = new RequestAttribution(_identities, origin);
        request.Options.Set(AttributionKey, attribution);
        HttpMetricsEnrichmentContext.AddCallback(request, attribution.Enrich);
    }

    /// <summary>One request's start, compared with its end when HttpClient records its duration.</summary>
    private sealed class RequestAttribution(SpiffeConnectionIdentities identities, SpiffeOriginConnections origin)
    {
        private (SpiffeOriginConnections Origin, SpiffeOriginConnections.State Start) _attempt = (origin, origin.Current);

        internal void Restart(SpiffeOriginConnections next) => _attempt = (next, next.Current);

        internal void Enrich(HttpMetricsEnrichmentContext context)
        {
            // No response: the request may never have reached a connection.
            var (started, start) = _attempt;
            if (context.Response is null
                || !ReferenceEquals(identities.For(context.Request.RequestUri), started)
                || started.Attribute(start) is not { } identity)
            {
                return;
            }

            if (identity.LocalLabel is { } local)
            {
                context.AddCustomTag(MtlsTelemetry.ClientSpiffeIdTag, local);
            }

            if (identity.ServerLabel is { } server)
            {
                context.AddCustomTag(MtlsTelemetry.ServerSpiffeIdTag, server);
            }

            // The callback runs inside the handler's request activity (System.Net.Http): spans carry the full IDs.
            if (Activity.Current is { IsAllDataRequested: true, Source.Name: "System.Net.Http" } activity)
            {
                activity.SetTag(MtlsTelemetry.ServerSpiffeIdTag, identity.Server.ToString());
                if (identity.Local is not null)
                {
                    activity.SetTag(MtlsTelemetry.ClientSpiffeIdTag, identity.Local.ToString());
                }
            }
        }
    }
}
