using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mtls.AspNetCore.Authorization;

namespace Mtls.AspNetCore.Authentication;

/// <summary>Adds the <c>Spiffe</c> authentication scheme: the mTLS peer of the connection as a principal.</summary>
public static class SpiffeAuthenticationBuilderExtensions
{
    /// <summary>
    /// Adds the <c>Spiffe</c> scheme. The peer becomes the user only where a policy or endpoint names this scheme
    /// (the SPIFFE requirements do so themselves) or where the application makes it the default scheme; it is never
    /// the user of requests that ask for another scheme. Calling it again only adds <paramref name="configure"/>.
    /// </summary>
    public static AuthenticationBuilder AddSpiffe(this AuthenticationBuilder builder, Action<SpiffeAuthenticationOptions>? configure = null) =>
        builder.AddSpiffe(SpiffeAuthenticationDefaults.AuthenticationScheme, configure);

    /// <summary>Adds the scheme under <paramref name="authenticationScheme"/>; see <see cref="AddSpiffe(AuthenticationBuilder, Action{SpiffeAuthenticationOptions}?)"/>.</summary>
    public static AuthenticationBuilder AddSpiffe(this AuthenticationBuilder builder, string authenticationScheme, Action<SpiffeAuthenticationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(authenticationScheme);
        var services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, SpiffePeerRequirementHandler>());
        if (services.Any(d => d.ServiceType == typeof(SpiffeSchemeMarker) && Equals(d.ImplementationInstance, new SpiffeSchemeMarker(authenticationScheme))))
        {
            if (configure is not null)
            {
                services.Configure(authenticationScheme, configure);
            }

            return builder;
        }

        services.AddSingleton(new SpiffeSchemeMarker(authenticationScheme));
        services.PostConfigure<AuthenticationOptions>(o =>
        {
            // ASP.NET Core makes a lone scheme the default one, which would make every verified peer the user of every
            // request ([Authorize] included). The peer is the user only where a policy names the scheme, or where the
            // app makes it the default itself.
            // ASP.NET Core's switch for that is internal, so the default authenticate scheme is set to a name no
            // handler has: the authentication middleware then authenticates nobody by default.
            if (o.DefaultScheme is null && o.DefaultAuthenticateScheme is null && o.Schemes.Count() == 1)
            {
                o.DefaultAuthenticateScheme = NoDefaultAuthenticateScheme;
            }

            // Requests without a user still get a bare 401/403 rather than a server error for want of a scheme.
            o.DefaultChallengeScheme ??= o.DefaultScheme ?? authenticationScheme;
            o.DefaultForbidScheme ??= o.DefaultScheme ?? authenticationScheme;
        });
        return builder.AddScheme<SpiffeAuthenticationOptions, SpiffeAuthenticationHandler>(authenticationScheme, displayName: null, configure);
    }

    /// <summary>A scheme name no handler has: the default authenticate scheme of an app whose only scheme is <c>Spiffe</c>.</summary>
    private const string NoDefaultAuthenticateScheme = "Spiffe (not a default scheme)";

    /// <summary>Marks a scheme name as registered, so that a second call does not register it twice.</summary>
    private sealed record SpiffeSchemeMarker(string Name);
}
