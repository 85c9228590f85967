using Microsoft.Extensions.Options;

namespace Mtls.AspNetCore.Authentication;

/// <summary>Checks each JWT-SVID scheme's options at startup; messages name the configuration key.</summary>
internal sealed class SpiffeJwtAuthenticationOptionsValidator : IValidateOptions<SpiffeJwtAuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, SpiffeJwtAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Audiences.Count == 0)
        {
            return ValidateOptionsResult.Fail($"{SpiffeJwtAuthenticationDefaults.ConfigurationSection}:Audiences is empty for scheme '{name}': name the audience(s) this service accepts (e.g. its own SPIFFE ID or service name); accepting any audience would accept tokens meant for other services");
        }

        return options.Audiences.Any(string.IsNullOrWhiteSpace)
            ? ValidateOptionsResult.Fail($"{SpiffeJwtAuthenticationDefaults.ConfigurationSection}:Audiences of scheme '{name}' holds an empty audience")
            : ValidateOptionsResult.Success;
    }
}
