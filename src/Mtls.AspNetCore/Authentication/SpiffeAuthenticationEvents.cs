namespace Mtls.AspNetCore.Authentication;

/// <summary>Events of the <c>Spiffe</c> authentication scheme, as <c>CertificateAuthenticationEvents</c> are for certificates.</summary>
public class SpiffeAuthenticationEvents
{
    /// <summary>
    /// Runs for each request after the connection's verified peer has been made a principal: add or map claims on
    /// the context's <c>Principal</c>, or call <c>Fail</c> to refuse. The principal is new for every
    /// request, so what one request adds is never seen by the next.
    /// </summary>
    public Func<SpiffeValidatedContext, Task> OnValidated { get; set; } = static _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnValidated"/>.</summary>
    public virtual Task Validated(SpiffeValidatedContext context) => OnValidated(context);
}
