namespace Mtls.AspNetCore.Authentication;

/// <summary>Events of the JWT-SVID scheme, as <c>JwtBearerEvents</c> are for bearer tokens.</summary>
public class SpiffeJwtAuthenticationEvents
{
    /// <summary>
    /// Runs after a token validated: map or add claims on the context's <c>Principal</c>, or call <c>Fail</c> to
    /// refuse the token (the request then has no JWT subject). The principal is new for every request.
    /// </summary>
    public Func<SpiffeJwtValidatedContext, Task> OnValidated { get; set; } = static _ => Task.CompletedTask;

    /// <summary>
    /// Runs when a token was refused, with the rule it broke: for metrics or auditing. The refusal stands whatever the
    /// event does; the caller learns nothing of the reason.
    /// </summary>
    public Func<SpiffeJwtFailedContext, Task> OnFailed { get; set; } = static _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnValidated"/>.</summary>
    public virtual Task Validated(SpiffeJwtValidatedContext context) => OnValidated(context);

    /// <summary>Invokes <see cref="OnFailed"/>.</summary>
    public virtual Task Failed(SpiffeJwtFailedContext context) => OnFailed(context);
}
