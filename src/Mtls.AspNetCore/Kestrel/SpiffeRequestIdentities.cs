using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Mtls.Identity;
using Mtls.Telemetry;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// The identity attributes of every request on one mTLS connection, computed once when the connection is accepted:
/// the caller's verified SPIFFE ID (the peer the handshake verified, never anything the request says) and the ID of
/// the SVID this server presented on the connection. They go onto ASP.NET Core's own <c>http.server.request.duration</c>
/// through <see cref="IHttpMetricsTagsFeature"/> and onto the request's activity.
/// </summary>
internal sealed class SpiffeRequestIdentities
{
    private readonly KeyValuePair<string, object?>[] _metricTags;
    private readonly string _client;
    private readonly string? _server;

    private SpiffeRequestIdentities(KeyValuePair<string, object?>[] metricTags, string client, string? server)
    {
        _metricTags = metricTags;
        _client = client;
        _server = server;
    }

    /// <summary>The attributes for a connection from <paramref name="peer"/> served with <paramref name="local"/>; null when identities are off.</summary>
    internal static SpiffeRequestIdentities? Create(SpiffeIdLabels labels, SpiffeId peer, SpiffeId? local)
    {
        if (!labels.Enabled)
        {
            return null;
        }

        var tags = new List<KeyValuePair<string, object?>>(2) { new(MtlsTelemetry.ClientSpiffeIdTag, labels.Label(peer)) };
        if (labels.Label(local) is { } server)
        {
            tags.Add(new(MtlsTelemetry.ServerSpiffeIdTag, server));
        }

        return new SpiffeRequestIdentities([.. tags], peer.ToString(), local?.ToString());
    }

    /// <summary>Adds the attributes to the request's metric (when metrics are collected) and to its activity (when sampled).</summary>
    internal void Apply(IHttpMetricsTagsFeature? metrics, Activity? activity)
    {
        if (metrics is not null && !metrics.MetricsDisabled)
        {
            foreach (var tag in _metricTags)
            {
                metrics.Tags.Add(tag);
            }
        }

        // Spans are per request, so they carry the full verified IDs whatever the metrics reduce them to.
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MtlsTelemetry.ClientSpiffeIdTag, _client);
            if (_server is not null)
            {
                activity.SetTag(MtlsTelemetry.ServerSpiffeIdTag, _server);
            }
        }
    }
}
