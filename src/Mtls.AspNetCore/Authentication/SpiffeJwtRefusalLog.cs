using Microsoft.Extensions.Logging;
using Mtls.Telemetry;

namespace Mtls.AspNetCore.Authentication;

/// <summary>
/// Logs refused JWT-SVIDs, at most <see cref="LogRateLimiter.DefaultPermitsPerInterval"/> per rule and minute with a
/// count of the rest: anyone can send a token, so a caller must not be able to flood the log. The detail quotes the
/// unverified token (audience, key ID), so it is escaped and capped. One per container.
/// </summary>
internal sealed partial class SpiffeJwtRefusalLog(ILogger<SpiffeJwtRefusalLog> logger, TimeProvider time)
{
    private readonly LogRateLimiter _limiter = new(time);

    internal void Refused(string rule, string? peer, string method, string path, string detail)
    {
        if (!logger.IsEnabled(LogLevel.Warning) || !_limiter.TryAcquire(rule, out long suppressed))
        {
            return;
        }

        if (suppressed > 0)
        {
            LogSuppressed(logger, suppressed, rule, _limiter.Interval);
        }

        LogRefused(logger, rule, peer ?? "(none)", method, LogText.Sanitize(path), LogText.Sanitize(detail));
    }

    [LoggerMessage(1, LogLevel.Warning, "JWT-SVID refused: rule {Rule}, mTLS peer {PeerSpiffeId}, {Method} {Path}: {Detail}", EventName = "SpiffeJwtRefused")]
    private static partial void LogRefused(ILogger logger, string rule, string peerSpiffeId, string method, string path, string detail);

    [LoggerMessage(2, LogLevel.Warning, "{Suppressed} more JWT-SVIDs refused for rule {Rule} were not logged in the last {Interval} (rate limit)", EventName = "SpiffeJwtRefusalsSuppressed")]
    private static partial void LogSuppressed(ILogger logger, long suppressed, string rule, TimeSpan interval);
}
