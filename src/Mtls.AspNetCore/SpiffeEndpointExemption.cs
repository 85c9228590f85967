namespace Mtls.AspNetCore;

/// <summary>A Kestrel port opted out of mTLS by name (<see cref="SpiffeMtlsOptions.ExemptPort"/>).</summary>
/// <param name="Port">The endpoint's port.</param>
/// <param name="Name">Why it is exempt, for logs and startup messages.</param>
/// <param name="Paths">The only paths served there; empty: every path.</param>
public sealed record SpiffeEndpointExemption(int Port, string Name, IReadOnlyList<string> Paths);
