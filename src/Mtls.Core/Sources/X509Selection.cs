using Mtls.X509;

namespace Mtls.Sources;

/// <summary>A snapshot together with the SVID chosen from it: read as one, so TLS never pairs a context with another snapshot's SVID.</summary>
/// <param name="Context">The snapshot.</param>
/// <param name="Svid">The SVID the workload presents from it, or null (none, withdrawn, or no SVID fits the preference).</param>
internal sealed record X509Selection(X509Context Context, X509Svid? Svid);
