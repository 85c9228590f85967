using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mtls.AspNetCore.Authentication;

/// <summary>
/// Turns the peer the TLS handshake verified (<see cref="ISpiffePeerFeature"/>) into a <see cref="ClaimsPrincipal"/>
/// with the SPIFFE ID, trust domain and path. Nothing is verified again here: the handshake did it.
/// </summary>
public sealed class SpiffeAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(Context.Features.Get<ISpiffePeerFeature>() switch
        {
            SpiffePeerFeature peer => peer.GetResult(Scheme.Name, ClaimsIssuer),
            { } other => AuthenticateResult.Success(new AuthenticationTicket(SpiffePrincipal.Create(other.Id, Scheme.Name, ClaimsIssuer), Scheme.Name)),
            null => AuthenticateResult.NoResult(),
        });
}
