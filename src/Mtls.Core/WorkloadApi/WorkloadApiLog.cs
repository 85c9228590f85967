using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mtls.X509;

namespace Mtls.WorkloadApi;

/// <summary>The Workload API client's and sources' log messages. Never logs keys or tokens.</summary>
internal static partial class WorkloadApiLog
{
    [LoggerMessage(EventId = 1, EventName = "UpdateRejected", Level = LogLevel.Warning,
        Message = "Rejected a Workload API {What} update from {Address} ({Reason}): {Detail}. The previous state is kept.")]
    internal static partial void UpdateRejected(this ILogger logger, string what, WorkloadApiAddress address, string reason, string detail);

    [LoggerMessage(EventId = 2, EventName = "StreamFailed", Level = LogLevel.Warning,
        Message = "Workload API {What} stream at {Address} failed with {StatusCode} (attempt {Attempt}): {Detail}. Reconnecting in {Delay}.")]
    internal static partial void StreamFailed(this ILogger logger, string what, WorkloadApiAddress address, StatusCode statusCode, int attempt, string detail, TimeSpan delay);

    [LoggerMessage(EventId = 3, EventName = "X509ContextUpdated", Level = LogLevel.Information,
        Message = "X.509 context from the Workload API at {Address}: presenting {Svid}, trusting {BundleCount} trust domain(s).")]
    internal static partial void X509ContextUpdated(this ILogger logger, WorkloadApiAddress address, X509Svid? svid, int bundleCount);

    [LoggerMessage(EventId = 4, EventName = "IdentityWithdrawn", Level = LogLevel.Warning,
        Message = "The Workload API at {Address} denies this workload an identity (PermissionDenied: {Detail}). The X.509-SVID is withdrawn until the agent grants one again.")]
    internal static partial void IdentityWithdrawn(this ILogger logger, WorkloadApiAddress address, string detail);

    [LoggerMessage(EventId = 5, EventName = "WatchStopped", Level = LogLevel.Error,
        Message = "The Workload API at {Address} refused the {What} stream with {StatusCode}: {Detail}. Not retrying: fix the agent or the request, then create the source again.")]
    internal static partial void WatchStopped(this ILogger logger, string what, WorkloadApiAddress address, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 6, EventName = "JwtBundlesUpdated", Level = LogLevel.Information,
        Message = "JWT bundles from the Workload API at {Address}: {BundleCount} trust domain(s).")]
    internal static partial void JwtBundlesUpdated(this ILogger logger, WorkloadApiAddress address, int bundleCount);

    [LoggerMessage(EventId = 7, EventName = "JwtIdentityWithdrawn", Level = LogLevel.Warning,
        Message = "The Workload API at {Address} denies this workload an identity (PermissionDenied: {Detail}). Every cached JWT-SVID is dropped; new ones are fetched only when the agent grants them again.")]
    internal static partial void JwtIdentityWithdrawn(this ILogger logger, WorkloadApiAddress address, string detail);

    [LoggerMessage(EventId = 8, EventName = "SvidExpired", Level = LogLevel.Error,
        Message = "The X.509-SVID {SpiffeId} from the Workload API at {Address} expired at {NotAfter:u} and the agent sent no replacement: it is withdrawn (servers fail new handshakes, clients present none) until the agent sends one.")]
    internal static partial void SvidExpired(this ILogger logger, WorkloadApiAddress address, string spiffeId, DateTimeOffset notAfter);
}
