using System.Diagnostics;
using System.Globalization;
using Mtls.Identity;
using Mtls.Telemetry;

namespace Mtls.Tls;

/// <summary>Records the client side of mTLS on <see cref="MtlsTelemetry"/>'s meter and activity source.</summary>
internal static class ClientTlsTelemetry
{
    internal const string Side = "client";

    /// <summary>The name of the activity that wraps one client handshake.</summary>
    internal const string HandshakeActivityName = "mtls.client.handshake";

    internal static Activity? StartHandshake(string serverAddress, int serverPort)
    {
        var activity = MtlsTelemetry.ActivitySource.StartActivity(HandshakeActivityName, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MtlsTelemetry.SideTag, Side);
            activity.SetTag("server.address", serverAddress);
            activity.SetTag("server.port", serverPort.ToString(CultureInfo.InvariantCulture));
        }

        return activity;
    }

    internal static void RecordHandshake(Activity? activity, long startTimestamp, SpiffeId? serverId, string outcome)
    {
        MtlsTelemetry.RecordHandshake(Side, startTimestamp, outcome == "ok" ? null : outcome);
        if (activity is null)
        {
            return;
        }

        if (serverId is not null)
        {
            activity.SetTag(MtlsTelemetry.PeerSpiffeIdTag, serverId.ToString());
            activity.SetTag(MtlsTelemetry.PeerTrustDomainTag, serverId.TrustDomain.ToString());
        }

        activity.SetTag(MtlsTelemetry.OutcomeTag, outcome);
        if (outcome != "ok")
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }

    internal static void RecordAuthorization(SpiffeId serverId, bool allowed, string rule) =>
        MtlsTelemetry.RecordDecision(Side, allowed ? "allow" : "deny", rule, serverId.ToString());
}
