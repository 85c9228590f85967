using Microsoft.Extensions.Logging;

namespace Mtls.Files;

internal static partial class FileX509SourceLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Loaded X509-SVID {SpiffeId} from {Directory}, valid until {NotAfter:u}")]
    internal static partial void Loaded(ILogger logger, Mtls.Identity.SpiffeId spiffeId, string directory, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Keeping the last good X509-SVID: the files in {Directory} do not form a valid SVID and bundle ({Reason})")]
    internal static partial void Rejected(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "SVID directory {Directory} is not available; keeping the last good X509-SVID")]
    internal static partial void DirectoryMissing(ILogger logger, string directory);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "X509-SVID {SpiffeId} in {Directory} expired at {NotAfter:u} and the files were not renewed: no SVID is served until valid files appear")]
    internal static partial void Expired(ILogger logger, Mtls.Identity.SpiffeId spiffeId, string directory, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Reloading the SVID files in {Directory} failed unexpectedly; the next poll tries again")]
    internal static partial void ReloadFailed(ILogger logger, string directory, Exception exception);
}
