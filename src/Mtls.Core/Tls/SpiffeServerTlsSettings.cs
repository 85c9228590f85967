using Mtls.Authorization;
using Mtls.Identity;

namespace Mtls.Tls;

/// <summary>What a <see cref="SpiffeServerTlsOptionsCache"/> serves and admits.</summary>
/// <param name="SvidHint">Serve the SVID with this hint; null: the source's default SVID.</param>
/// <param name="TrustDomain">Our trust domain: an SVID outside it is not served. Null: not checked.</param>
/// <param name="Authorizer">Which verified peers complete the handshake; null: members of our own trust domain only.</param>
internal sealed record SpiffeServerTlsSettings(string? SvidHint, TrustDomain? TrustDomain, Authorizer? Authorizer);
