namespace Mtls.AspNetCore.Authentication;

/// <summary>Names of the JWT-SVID authentication scheme.</summary>
public static class SpiffeJwtAuthenticationDefaults
{
    /// <summary>The scheme name: <c>SpiffeJwt</c>.</summary>
    public const string AuthenticationScheme = "SpiffeJwt";

    /// <summary>The configuration section of the accepted audiences (<c>Spiffe:Jwt:Audiences</c>) and the JWT source.</summary>
    public const string ConfigurationSection = "Spiffe:Jwt";
}
