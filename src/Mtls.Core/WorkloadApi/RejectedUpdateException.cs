namespace Mtls.WorkloadApi;

/// <summary>
/// A Workload API response that must not replace the current state: discarded (a mandatory field is empty) or
/// rejected (an SVID or bundle is invalid, or a limit is exceeded). <see cref="Reason"/> is a short tag for
/// telemetry, the message says what exactly was wrong.
/// </summary>
internal sealed class RejectedUpdateException : Exception
{
    internal RejectedUpdateException(string reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    internal string Reason { get; }

    internal static RejectedUpdateException EmptyField(string message) => new("empty_field", message);
}
