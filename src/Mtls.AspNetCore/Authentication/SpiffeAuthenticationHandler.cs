using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Mtls.AspNetCore.Authentication;

/// <summary>
/// Turns the peer the TLS handshake verified (<see cref="ISpiffePeerFeature"/>) into a <see cref="ClaimsPrincipal"/>
/// with the SPIFFE ID, trust domain and path. Nothing is verified again here: the handshake did it. A plain
/// <see cref="IAuthenticationHandler"/> rather than <c>AuthenticationHandler&lt;T&gt;</c>: it has no options, events
/// or remote flows, and it runs on every request, so it keeps to a feature lookup and a result cached per connection.
/// </summary>
public sealed class SpiffeAuthenticationHandler : IAuthenticationHandler
{
    private AuthenticationScheme? _scheme;
    private HttpContext? _context;

    /// <inheritdoc />
    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentNullException.ThrowIfNull(context);
        _scheme = scheme;
        _context = context;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<AuthenticateResult> AuthenticateAsync()
    {
        var (scheme, context) = Initialized();
        return Task.FromResult(context.Features.Get<ISpiffePeerFeature>() switch
        {
            SpiffePeerFeature peer => peer.GetResult(scheme.Name),
            { } other => AuthenticateResult.Success(new AuthenticationTicket(SpiffePrincipal.Create(other.Id, scheme.Name), scheme.Name)),
            null => AuthenticateResult.NoResult(),
        });
    }

    /// <summary>No peer certificate means no identity: 401, with nothing for the peer to learn.</summary>
    public Task ChallengeAsync(AuthenticationProperties? properties)
    {
        Initialized().Context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    /// <summary>A verified peer that a policy refuses: a bare 403.</summary>
    public Task ForbidAsync(AuthenticationProperties? properties)
    {
        Initialized().Context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    private (AuthenticationScheme Scheme, HttpContext Context) Initialized() =>
        _scheme is not null && _context is not null
            ? (_scheme, _context)
            : throw new InvalidOperationException("The handler is used before InitializeAsync.");
}
