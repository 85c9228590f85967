namespace Mtls.WorkloadApi;

/// <summary>Where a Workload API source stands with the agent.</summary>
public enum WorkloadApiSourceState
{
    /// <summary>No valid update received yet; connecting or retrying.</summary>
    Connecting,

    /// <summary>Streaming: the current state is the agent's latest.</summary>
    Ready,

    /// <summary>The stream broke (e.g. the agent restarted); the last good state is served while reconnecting.</summary>
    Reconnecting,

    /// <summary>
    /// The agent answered <c>PermissionDenied</c>: this workload has no identity. The SVID is withdrawn (bundles are
    /// kept) and the source keeps retrying until the agent grants one again.
    /// </summary>
    IdentityWithdrawn,

    /// <summary>
    /// The watch has ended: the agent refused the request with <c>InvalidArgument</c> or <c>Unimplemented</c> (the
    /// standard says not to retry), or the watch failed unexpectedly. The last good state (if any) is still served but
    /// no longer updated. <c>LastError</c> says why.
    /// </summary>
    Failed,

    /// <summary>The source was disposed: the watch has ended and nothing is served.</summary>
    Stopped,
}
