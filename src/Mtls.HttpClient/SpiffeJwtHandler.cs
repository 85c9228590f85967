using System.Net.Http.Headers;

namespace Mtls.Http;

/// <summary>
/// Puts this workload's JWT-SVID in <c>Authorization: Bearer</c> on every request of a client, after checking the
/// destination is not plaintext (refused before anything is sent). A request that already carries an
/// <c>Authorization</c> header is refused rather than silently overwritten.
/// </summary>
internal sealed class SpiffeJwtHandler(JwtSvidCache cache) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cache.CheckDestination(request.RequestUri);
        if (request.Headers.Authorization is not null)
        {
            throw new InvalidOperationException("The request already has an Authorization header; a client with AddSpiffeJwt sends its JWT-SVID there and does not overwrite another credential.");
        }

        string token = await cache.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
