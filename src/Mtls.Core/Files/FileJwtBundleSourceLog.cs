using Microsoft.Extensions.Logging;

namespace Mtls.Files;

internal static partial class FileJwtBundleSourceLog
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Loaded the JWT bundle of {TrustDomain} from {Path}: {KeyCount} keys")]
    internal static partial void Loaded(ILogger logger, string trustDomain, string path, int keyCount);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Keeping the last good JWT bundle of {TrustDomain}: {Path} is not a valid JWT bundle ({Reason})")]
    internal static partial void Rejected(ILogger logger, string trustDomain, string path, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "JWT bundle file {Path} of {TrustDomain} is not available; keeping the last good bundle")]
    internal static partial void Missing(ILogger logger, string trustDomain, string path);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Error, Message = "Reloading the JWT bundle files failed unexpectedly; the next poll tries again")]
    internal static partial void ReloadFailed(ILogger logger, Exception exception);
}
