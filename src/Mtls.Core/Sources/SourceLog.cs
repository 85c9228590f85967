using Microsoft.Extensions.Logging;

namespace Mtls.Sources;

/// <summary>Log messages of the sources' shared machinery (change notification, SVID choice).</summary>
internal static partial class SourceLog
{
    [LoggerMessage(EventId = 4001, EventName = "ChangeCallbackFailed", Level = LogLevel.Error,
        Message = "A change callback on the {Source} source ({Callback}) threw; the source keeps rotating and the other callbacks still run. Later failures of this callback are not logged.")]
    internal static partial void ChangeCallbackFailed(ILogger logger, string source, string callback, Exception exception);

    [LoggerMessage(EventId = 4002, EventName = "SvidPickerFailed", Level = LogLevel.Error,
        Message = "The SVID picker threw while choosing among {Count} SVID(s): no SVID is presented until the next update.")]
    internal static partial void SvidPickerFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 4003, EventName = "SvidPickerForeign", Level = LogLevel.Error,
        Message = "The SVID picker returned {SpiffeId}, which is not one of the SVIDs it was given: no SVID is presented until the next update.")]
    internal static partial void SvidPickerForeign(ILogger logger, string spiffeId);

    [LoggerMessage(EventId = 4004, EventName = "ServerForeignSvid", Level = LogLevel.Error,
        Message = "Refusing to present X509-SVID {SpiffeId}: it is not in the configured trust domain {TrustDomain}")]
    internal static partial void ForeignSvid(ILogger logger, string spiffeId, string trustDomain);
}
