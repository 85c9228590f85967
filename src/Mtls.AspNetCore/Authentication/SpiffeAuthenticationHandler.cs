using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mtls.AspNetCore.Authentication;

/// <summary>
/// Turns the peer the TLS handshake verified, and the connection check re-checked for this request, into a
/// <see cref="System.Security.Claims.ClaimsPrincipal"/> with the SPIFFE ID, trust domain and path; nothing is verified
/// again here. Only the Kestrel part's own peer feature counts, never a claim or a feature set by anything else. A
/// new principal per request: claims transformations and events may change it freely.
/// </summary>
internal sealed class SpiffeAuthenticationHandler(IOptionsMonitor<SpiffeAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<SpiffeAuthenticationOptions>(options, logger, encoder)
{
    private new SpiffeAuthenticationEvents Events => (SpiffeAuthenticationEvents)base.Events!;

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new SpiffeAuthenticationEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Features.Get<ISpiffePeerFeature>() is not SpiffePeerFeature peer)
        {
            return AuthenticateResult.NoResult();
        }

        var validated = new SpiffeValidatedContext(Context, Scheme, Options, peer.Id)
        {
            Principal = SpiffePrincipal.Create(peer.Id, Scheme.Name),
        };
        await Events.Validated(validated).ConfigureAwait(false);
        if (validated.Result is { } result)
        {
            if (!result.Succeeded)
            {
                Context.Features.Set(SpiffePeerRefusedFeature.Instance);
            }

            return result;
        }

        validated.Success();
        return validated.Result!;
    }
}
