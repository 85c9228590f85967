namespace Mtls.Testing.WorkloadApi;

/// <summary>
/// FOR TESTS AND LOCAL DEMOS ONLY. Who called <see cref="WorkloadApiServer"/>, from the Unix socket's peer
/// credentials (SO_PEERCRED, Linux only; null elsewhere), the way a SPIRE agent attests a workload.
/// </summary>
/// <param name="ProcessId">The caller's process ID.</param>
/// <param name="UserId">The caller's user ID.</param>
/// <param name="GroupId">The caller's group ID.</param>
public sealed record WorkloadApiCaller(int? ProcessId, int? UserId, int? GroupId);
