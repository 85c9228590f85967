using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mtls.Sources;

namespace Mtls.Telemetry;

/// <summary>
/// The names under which Mtls reports: one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both called
/// <c>"Mtls"</c>, and the attribute names every package uses (OpenTelemetry semantic-convention style: dotted names,
/// units in seconds, <c>error.type</c> on failures). Subscribe with OpenTelemetry's <c>AddMtlsInstrumentation()</c>
/// (package Mtls.OpenTelemetry), or <c>AddMeter("Mtls")</c> and <c>AddSource("Mtls")</c>.
/// </summary>
public static class MtlsTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "Mtls";

    /// <summary>
    /// Attribute on HTTP request metrics and spans (both sides): the verified SPIFFE ID of the workload that made the
    /// request (the caller), or its reduction chosen by <see cref="SpiffeTelemetryOptions.RequestIdentities"/>.
    /// </summary>
    public const string ClientSpiffeIdTag = "spiffe.client.id";

    /// <summary>
    /// Attribute on HTTP request metrics and spans (both sides): the verified SPIFFE ID of the workload that served the
    /// request (the callee), or its reduction chosen by <see cref="SpiffeTelemetryOptions.RequestIdentities"/>.
    /// </summary>
    public const string ServerSpiffeIdTag = "spiffe.server.id";

    /// <summary>Tag: the peer's SPIFFE ID (handshake spans, client authorization decisions).</summary>
    public const string PeerSpiffeIdTag = "spiffe.peer.id";

    /// <summary>Tag: the peer's trust domain.</summary>
    public const string PeerTrustDomainTag = "spiffe.peer.trust_domain";

    /// <summary>Tag: a trust domain (on the bundle age gauge and federation fetches; from configuration or a bundle, never from a peer).</summary>
    public const string TrustDomainTag = "spiffe.trust_domain";

    /// <summary>Tag: <c>server</c> or <c>client</c>.</summary>
    public const string SideTag = "mtls.side";

    /// <summary>Tag: OpenTelemetry's <c>error.type</c>, the reason an operation failed (absent when it succeeded).</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary><see cref="ErrorTypeTag"/> of a handshake that failed before any certificate was checked (protocol error, peer gone).</summary>
    internal const string TlsErrorType = "tls_error";

    /// <summary><see cref="ErrorTypeTag"/> of a server handshake that did not complete within the handshake timeout.</summary>
    internal const string TimeoutErrorType = "timeout";

    /// <summary>Tag on handshake spans: <c>ok</c> or the reason the handshake failed.</summary>
    public const string OutcomeTag = "mtls.outcome";

    /// <summary>Tag: the authorization decision (<c>allow</c>, <c>deny</c>, <c>audit</c>).</summary>
    public const string DecisionTag = "mtls.authorization.decision";

    /// <summary>Tag: the authorization rule that decided.</summary>
    public const string RuleTag = "mtls.authorization.rule";

    /// <summary>Tag: this workload's own SPIFFE ID (on the SVID expiry gauge).</summary>
    public const string SpiffeIdTag = "spiffe.id";

    /// <summary>Tag: the kind of source (<c>workload-api</c>, <c>files</c>, <c>in-memory</c>).</summary>
    public const string SourceTag = "mtls.source";

    /// <summary>Name of the handshake duration histogram (seconds, by side, with <c>error.type</c> on refusals).</summary>
    public const string HandshakeDurationName = "mtls.handshake.duration";

    /// <summary>Name of the authorization decision counter (by side, decision and rule).</summary>
    public const string AuthorizationDecisionsName = "mtls.authorization.decisions";

    /// <summary>Name of the gauge of seconds until each watched source's X509-SVID expires.</summary>
    public const string SvidTimeToExpiryName = "mtls.svid.time_to_expiry";

    /// <summary>Name of the gauge of seconds since each trust domain's bundle last changed.</summary>
    public const string BundleAgeName = "mtls.bundle.age";

    internal static readonly ActivitySource ActivitySource = new(Name);

    internal static readonly Meter Meter = new(Name);

    /// <summary>Handshake durations by side, with <c>error.type</c> when the handshake was refused or failed.</summary>
    internal static readonly Histogram<double> HandshakeDuration = Meter.CreateHistogram(
        HandshakeDurationName,
        "s",
        "Duration of mTLS handshakes by side; error.type is set when the handshake was refused or failed",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>The totals behind <see cref="AuthorizationDecisions"/> (declared first: static fields initialize in order).</summary>
    private static readonly DecisionCounts Decisions = new();

    /// <summary>Authorization decisions by side, decision and rule (and the server's ID, on the client side).</summary>
    internal static readonly ObservableCounter<long> AuthorizationDecisions = Meter.CreateObservableCounter(AuthorizationDecisionsName, Decisions.Observe, "{decision}", "Peer authorization decisions by side, decision and rule");

    /// <summary>SVID rotations received by a source.</summary>
    internal static readonly Counter<long> Rotations = Meter.CreateCounter<long>("mtls.svid.rotations", "{rotation}", "X509-SVID rotations received");

    /// <summary>Bundle endpoint fetches by federated trust domain and outcome (<c>ok</c>, <c>failed</c>).</summary>
    internal static readonly Counter<long> FederationFetches = Meter.CreateCounter<long>("mtls.federation.fetches", "{fetch}", "Bundle endpoint fetches by federated trust domain and outcome");

    /// <summary>Updates rejected by a source (invalid SVID or bundle), with <c>error.type</c>.</summary>
    internal static readonly Counter<long> RejectedUpdates = Meter.CreateCounter<long>("mtls.source.rejected_updates", "{update}", "Source updates rejected as invalid");

    private static readonly ConcurrentDictionary<SourceWatch, byte> WatchedSources = new();

    /// <summary>Seconds until the current X509-SVID of each watched source expires (negative once expired).</summary>
    internal static readonly ObservableGauge<double> SvidTimeToExpiry = Meter.CreateObservableGauge(
        SvidTimeToExpiryName, ObserveTimeToExpiry, "s", "Seconds until the current X509-SVID expires (negative once expired)");

    /// <summary>Seconds since the bundle of each trust domain of each watched source last changed.</summary>
    internal static readonly ObservableGauge<double> BundleAge = Meter.CreateObservableGauge(
        BundleAgeName, ObserveBundleAge, "s", "Seconds since the X.509 bundle of each trust domain last changed (or was first received)");

    /// <summary>Records one handshake of <paramref name="side"/> that started at <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    internal static void RecordHandshake(string side, long startTimestamp, string? errorType)
    {
        if (!HandshakeDuration.Enabled)
        {
            return;
        }

        double seconds = Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;
        if (errorType is null)
        {
            HandshakeDuration.Record(seconds, new KeyValuePair<string, object?>(SideTag, side));
        }
        else
        {
            HandshakeDuration.Record(seconds, new KeyValuePair<string, object?>(SideTag, side), new KeyValuePair<string, object?>(ErrorTypeTag, errorType));
        }
    }

    /// <summary>Counts one authorization decision, while anyone collects the counter; <paramref name="peer"/> only where the side reports the peer.</summary>
    internal static void RecordDecision(string side, string decision, string rule, string? peer = null)
    {
        if (AuthorizationDecisions.Enabled)
        {
            Decisions.Add(side, decision, rule, peer);
        }
    }

    /// <summary>Reports <paramref name="source"/>'s SVID expiry and bundle ages on the gauges until the result is disposed.</summary>
    internal static IDisposable WatchSource(IX509Source source, string sourceKind, TimeProvider time)
    {
        var watch = new SourceWatch(source, sourceKind, time, w => WatchedSources.TryRemove(w, out _));
        WatchedSources.TryAdd(watch, 0);
        return watch;
    }

    private static IEnumerable<Measurement<double>> ObserveTimeToExpiry()
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

    private static IEnumerable<Measurement<double>> ObserveBundleAge()
    {
        foreach (var watch in WatchedSources.Keys)
        {
            var now = watch.Time.GetUtcNow();
            foreach (var (trustDomain, changedAt) in watch.BundleChanges())
            {
                yield return new Measurement<double>((now - changedAt).TotalSeconds, new(TrustDomainTag, trustDomain), new(SourceTag, watch.SourceKind));
            }
        }
    }
}
