namespace Mtls.AspNetCore.Authentication;

/// <summary>Names of the SPIFFE authentication scheme.</summary>
public static class SpiffeAuthenticationDefaults
{
    /// <summary>The scheme name: <c>Spiffe</c>.</summary>
    public const string AuthenticationScheme = "Spiffe";
}
