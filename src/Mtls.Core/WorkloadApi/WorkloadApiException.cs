using Grpc.Core;

namespace Mtls.WorkloadApi;

/// <summary>
/// A Workload API call failed, or a source got no usable answer in time. <see cref="StatusCode"/> is the gRPC status
/// the agent (or the transport) reported: <c>Unavailable</c> when the agent cannot be reached, <c>PermissionDenied</c>
/// when it has no identity for this workload, <c>InvalidArgument</c> or <c>Unimplemented</c> for a request it refuses.
/// </summary>
public sealed class WorkloadApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkloadApiException(StatusCode statusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The gRPC status of the failure.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The agent's own words when it sent a status, else this exception's message.</summary>
    internal string Detail => InnerException is RpcException rpc ? rpc.Status.Detail : Message;
}
