using Microsoft.Extensions.Logging;

namespace Mtls.Federation;

/// <summary>Log messages of federation (fetched bundles). Reasons quote the endpoint's answer, so they are sanitized first.</summary>
internal static partial class FederationLog
{
    [LoggerMessage(EventId = 6001, EventName = "FederatedBundleAccepted", Level = LogLevel.Information,
        Message = "Bundle of {TrustDomain} from {Url} accepted: sequence {Sequence}, {X509Count} X.509 and {JwtCount} JWT authorities ({Change}); next fetch in {Delay}")]
    internal static partial void BundleAccepted(this ILogger logger, string trustDomain, Uri url, ulong? sequence, int x509Count, int jwtCount, string change, TimeSpan delay);

    [LoggerMessage(EventId = 6002, EventName = "FederatedBundleFetchFailed", Level = LogLevel.Warning,
        Message = "Fetching the bundle of {TrustDomain} from {Url} failed ({Failures} in a row): {Reason}. Keeping {Kept}; next attempt in {Delay}")]
    internal static partial void FetchFailed(this ILogger logger, string trustDomain, Uri url, int failures, string reason, string kept, TimeSpan delay);

    [LoggerMessage(EventId = 6003, EventName = "FederatedBundleShadowed", Level = LogLevel.Warning,
        Message = "The identity source already has a bundle for {TrustDomain}: it is kept, and the bundle fetched from the endpoint is not used for that trust domain")]
    internal static partial void BundleShadowed(this ILogger logger, string trustDomain);
}
