using Mtls.Authorization;
using Mtls.Identity;

namespace Mtls.Tls;

/// <summary>
/// What a <see cref="SpiffeTlsServer"/> admits. Which SVID it serves is the source's choice
/// (<see cref="Sources.IX509SvidSource.GetX509Svid"/>); a hint or trust domain is applied to the source with
/// <see cref="Sources.X509SourceChoice.Apply"/>.
/// </summary>
/// <param name="TrustDomain">Our trust domain: the peers admitted by default. Null: the served SVID's trust domain.</param>
/// <param name="Authorizer">Which verified peers complete the handshake; null: members of our own trust domain only.</param>
internal sealed record SpiffeServerTlsSettings(TrustDomain? TrustDomain, Authorizer? Authorizer);
