namespace Mtls.Testing.WorkloadApi;

/// <summary>FOR TESTS AND LOCAL DEMOS ONLY. An identity <see cref="WorkloadApiServer"/> grants a caller.</summary>
/// <param name="SpiffeId">The SPIFFE ID; its trust domain needs a CA added with <see cref="WorkloadApiServer.AddTrustDomain"/>.</param>
/// <param name="Hint">The Workload API hint served with the SVID, if any.</param>
public sealed record WorkloadApiIdentity(string SpiffeId, string? Hint = null);
