using System.Security.Authentication;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Mtls.Http;

/// <summary>
/// Which failures of an mTLS client may be retried. A refused server (<see cref="SpiffeAuthorizationException"/>)
/// and any other TLS failure (<see cref="HttpRequestError.SecureConnectionError"/>) are not transient: the same
/// server answers the same way, and retrying them would only trip the circuit breaker. Use these predicates when
/// composing your own resilience pipeline; <see cref="SpiffeHttpClientBuilderExtensions.AddSpiffeResilience"/>
/// already does.
/// </summary>
public static class SpiffeRetryPredicates
{
    /// <summary>True for transient HTTP failures (as <see cref="HttpClientResiliencePredicates.IsTransient(Outcome{HttpResponseMessage})"/>) that are not security failures.</summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        !IsSecurityFailure(outcome.Exception) && HttpClientResiliencePredicates.IsTransient(outcome);

    /// <summary>True when <paramref name="exception"/> or an exception it wraps is a TLS or SPIFFE identity failure.</summary>
    public static bool IsSecurityFailure(Exception? exception)
    {
        // Bounded: exception chains are short, but a cycle-free walk is still capped.
        for (int depth = 0; exception is not null && depth < 16; depth++, exception = exception.InnerException)
        {
            if (exception is AuthenticationException or HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The <see cref="SpiffeAuthorizationException"/> in <paramref name="exception"/>'s chain, if any.</summary>
    internal static SpiffeAuthorizationException? FindRefusal(Exception? exception)
    {
        for (int depth = 0; exception is not null && depth < 16; depth++, exception = exception.InnerException)
        {
            if (exception is SpiffeAuthorizationException refused)
            {
                return refused;
            }
        }

        return null;
    }
}
