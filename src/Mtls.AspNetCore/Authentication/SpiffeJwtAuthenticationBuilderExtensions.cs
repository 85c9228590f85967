using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Authorization;
using Mtls.Hosting;

namespace Mtls.AspNetCore.Authentication;

/// <summary>Adds the <c>SpiffeJwt</c> authentication scheme: the caller's JWT-SVID (bearer token) as a principal.</summary>
public static class SpiffeJwtAuthenticationBuilderExtensions
{
    /// <summary>
    /// Adds the <c>SpiffeJwt</c> scheme: <c>Authorization: Bearer</c> JWT-SVIDs validated against the JWT bundles of the
    /// container's <see cref="Sources.IJwtBundleSource"/> (added with <c>AddSpiffeJwtSource()</c> when missing: the
    /// Workload API, or files from <c>Spiffe:Jwt:BundleFiles</c>) for the audiences of <c>Spiffe:Jwt:Audiences</c> and
    /// <paramref name="configure"/> (at least one, checked at startup). Policies read the validated subject with
    /// <c>RequireSpiffeId(SpiffeIdentity.JwtSubject, ...)</c> and friends, never from a claim.
    /// </summary>
    public static AuthenticationBuilder AddSpiffeJwt(this AuthenticationBuilder builder, Action<SpiffeJwtAuthenticationOptions>? configure = null) =>
        builder.AddSpiffeJwt(SpiffeJwtAuthenticationDefaults.AuthenticationScheme, configure);

    /// <summary>Adds the scheme under <paramref name="authenticationScheme"/>; see <see cref="AddSpiffeJwt(AuthenticationBuilder, Action{SpiffeJwtAuthenticationOptions}?)"/>.</summary>
    public static AuthenticationBuilder AddSpiffeJwt(this AuthenticationBuilder builder, string authenticationScheme, Action<SpiffeJwtAuthenticationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(authenticationScheme);
        var services = builder.Services;
        services.AddSpiffeJwtSource();
        services.TryAddSingleton<SpiffeJwtRefusalLog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, SpiffeJwtRequirementHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpiffeJwtAuthenticationOptions>, SpiffeJwtAuthenticationOptionsValidator>());
        services.AddOptions<SpiffeJwtAuthenticationOptions>(authenticationScheme)
            .Configure<IConfiguration>(static (options, configuration) =>
            {
                foreach (string? audience in configuration.GetSection($"{SpiffeJwtAuthenticationDefaults.ConfigurationSection}:Audiences").GetChildren().Select(c => c.Value))
                {
                    if (audience is not null && !options.Audiences.Contains(audience))
                    {
                        options.Audiences.Add(audience);
                    }
                }
            })
            .ValidateOnStart();
        return builder.AddScheme<SpiffeJwtAuthenticationOptions, SpiffeJwtAuthenticationHandler>(authenticationScheme, displayName: null, configure);
    }
}
