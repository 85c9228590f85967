using System.Runtime.ExceptionServices;

namespace Mtls.Http;

/// <summary>
/// Surfaces a refused server as <see cref="SpiffeAuthorizationException"/> itself rather than wrapped in the
/// <see cref="HttpRequestException"/> SocketsHttpHandler puts around connection failures. Sits innermost, right
/// above the primary handler, so that resilience handlers above it see the typed exception and never retry it.
/// </summary>
internal sealed class SpiffeFailureHandler : DelegatingHandler
{
    internal SpiffeFailureHandler()
    {
    }

    internal SpiffeFailureHandler(HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (SpiffeRetryPredicates.FindRefusal(e) is { } refused)
        {
            ExceptionDispatchInfo.Throw(refused);
            throw;
        }
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return base.Send(request, cancellationToken);
        }
        catch (HttpRequestException e) when (SpiffeRetryPredicates.FindRefusal(e) is { } refused)
        {
            ExceptionDispatchInfo.Throw(refused);
            throw;
        }
    }
}
