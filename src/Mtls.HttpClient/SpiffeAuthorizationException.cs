using System.Security.Authentication;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Http;

/// <summary>
/// The server was refused during the TLS handshake: either its SPIFFE ID verified but the authorizer does not
/// allow it (<see cref="ServerId"/> is set), or its X.509-SVID did not verify against the bundle of its trust
/// domain (<see cref="SvidRule"/> is set). Never transient: retrying reaches the same server with the same
/// identity, so the resilience handlers of this package never retry it, and it is not an
/// <see cref="HttpRequestException"/>, so generic HTTP retry predicates do not treat it as transient either.
/// </summary>
public sealed class SpiffeAuthorizationException : AuthenticationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened, including the server's address.</param>
    /// <param name="serverId">The server's verified SPIFFE ID, when only authorization failed.</param>
    /// <param name="rule">The authorizer's rule the server was checked against.</param>
    /// <param name="svidRule">The X509-SVID rule the server's certificate broke, when it did not verify.</param>
    /// <param name="innerException">The TLS failure.</param>
    public SpiffeAuthorizationException(string message, SpiffeId? serverId, string rule, X509SvidRule? svidRule, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ServerId = serverId;
        Rule = rule;
        SvidRule = svidRule;
    }

    /// <summary>The SPIFFE ID the server presented and proved, or null when its SVID did not verify.</summary>
    public SpiffeId? ServerId { get; }

    /// <summary>The authorization rule in words, e.g. <c>id is spiffe://example.org/orders</c>.</summary>
    public string Rule { get; }

    /// <summary>Why the server's SVID was rejected (e.g. <see cref="X509SvidRule.UntrustedTrustDomain"/>), or null when it verified.</summary>
    public X509SvidRule? SvidRule { get; }
}
