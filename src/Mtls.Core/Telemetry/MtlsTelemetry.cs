using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mtls.Sources;

namespace Mtls.Telemetry;

/// <summary>
/// The names under which Mtls reports: one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both called
/// <c>"Mtls"</c>, and the tag names every package uses. Subscribe with OpenTelemetry's <c>AddMeter("Mtls")</c> and
/// <c>AddSource("Mtls")</c>.
/// </summary>
public static class MtlsTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "Mtls";

    /// <summary>Tag: the peer's SPIFFE ID.</summary>
    public const string PeerSpiffeIdTag = "spiffe.peer.id";

    /// <summary>Tag: the peer's trust domain.</summary>
    public const string PeerTrustDomainTag = "spiffe.peer.trust_domain";

    /// <summary>Tag: <c>server</c> or <c>client</c>.</summary>
    public const string SideTag = "mtls.side";

    /// <summary>Tag: the outcome (<c>ok</c> or the rule broken; <c>allow</c>, <c>deny</c>, <c>audit</c>).</summary>
    public const string OutcomeTag = "mtls.outcome";

    /// <summary>Tag: the authorization rule that decided.</summary>
    public const string RuleTag = "mtls.rule";

    /// <summary>Tag: this workload's own SPIFFE ID (on the seconds-to-expiry gauge).</summary>
    public const string SpiffeIdTag = "spiffe.id";

    /// <summary>Tag: the kind of source (<c>workload-api</c>, <c>files</c>, <c>in-memory</c>).</summary>
    public const string SourceTag = "mtls.source";

    /// <summary>Tag: a federated trust domain (from configuration, never from a peer).</summary>
    public const string TrustDomainTag = "spiffe.trust_domain";

    internal static readonly ActivitySource ActivitySource = new(Name);

    internal static readonly Meter Meter = new(Name);

    /// <summary>Handshakes by side and outcome.</summary>
    internal static readonly Counter<long> Handshakes = Meter.CreateCounter<long>("mtls.handshakes", "{handshake}", "mTLS handshakes by side and outcome");

    /// <summary>Authorization decisions by side, outcome and rule.</summary>
    internal static readonly Counter<long> AuthorizationDecisions = Meter.CreateCounter<long>("mtls.authorization.decisions", "{decision}", "Peer authorization decisions by outcome and rule");

    /// <summary>SVID rotations received by a source.</summary>
    internal static readonly Counter<long> Rotations = Meter.CreateCounter<long>("mtls.svid.rotations", "{rotation}", "X509-SVID rotations received");

    /// <summary>Bundle endpoint fetches by federated trust domain and outcome (<c>ok</c>, <c>failed</c>).</summary>
    internal static readonly Counter<long> FederationFetches = Meter.CreateCounter<long>("mtls.federation.fetches", "{fetch}", "Bundle endpoint fetches by federated trust domain and outcome");

    /// <summary>Updates rejected by a source (invalid SVID or bundle), by reason.</summary>
    internal static readonly Counter<long> RejectedUpdates = Meter.CreateCounter<long>("mtls.source.rejected_updates", "{update}", "Source updates rejected as invalid");

    private static readonly ConcurrentDictionary<ExpiryWatch, byte> WatchedSources = new();

    /// <summary>Seconds until the current X509-SVID of each watched source expires (negative once expired).</summary>
    internal static readonly ObservableGauge<double> SecondsToExpiry = Meter.CreateObservableGauge(
        "mtls.svid.seconds_to_expiry", ObserveSecondsToExpiry, "s", "Seconds until the current X509-SVID expires");

    /// <summary>Reports <paramref name="source"/>'s SVID on the seconds-to-expiry gauge until the result is disposed.</summary>
    internal static IDisposable WatchSvidExpiry(IX509SvidSource source, string sourceKind, TimeProvider time)
    {
        var watch = new ExpiryWatch(source, sourceKind, time);
        WatchedSources.TryAdd(watch, 0);
        return watch;
    }

    private static IEnumerable<Measurement<double>> ObserveSecondsToExpiry()
    {
        foreach (var watch in WatchedSources.Keys)
        {
            var svid = watch.Source.GetX509Svid();
            if (svid is not null)
            {
                double seconds = (svid.NotAfter - watch.Time.GetUtcNow()).TotalSeconds;
                yield return new Measurement<double>(seconds, new(SpiffeIdTag, svid.Id.ToString()), new(SourceTag, watch.SourceKind));
            }
        }
    }

    private sealed class ExpiryWatch(IX509SvidSource source, string sourceKind, TimeProvider time) : IDisposable
    {
        internal IX509SvidSource Source { get; } = source;

        internal string SourceKind { get; } = sourceKind;

        internal TimeProvider Time { get; } = time;

        public void Dispose() => WatchedSources.TryRemove(this, out _);
    }
}
