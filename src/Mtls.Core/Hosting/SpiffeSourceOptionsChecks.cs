using Microsoft.Extensions.Options;

namespace Mtls.Hosting;

/// <summary>The checks the X.509 and JWT source options share; every message starts with the configuration key.</summary>
internal static class SpiffeSourceOptionsChecks
{
    /// <summary>Adds what is wrong with <c>Source</c> and <c>EndpointSocket</c> of <paramref name="section"/>.</summary>
    internal static void CheckSource(string section, SpiffeSourceKind source, string? endpointSocket, List<string> failures)
    {
        if (!Enum.IsDefined(source))
        {
            failures.Add($"{section}:Source '{source}' is not a source kind (WorkloadApi, Files or Custom)");
        }

        if (endpointSocket is not null && SpiffeX509SourceFactory.CheckEndpointSocket(endpointSocket) is { } socketError)
        {
            failures.Add($"{section}:EndpointSocket '{endpointSocket}' {socketError}");
        }
    }

    /// <summary>Adds what is wrong with <c>StartupTimeout</c> of <paramref name="section"/>, and ends the validation.</summary>
    internal static ValidateOptionsResult Finish(string section, TimeSpan startupTimeout, List<string> failures)
    {
        if (startupTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{section}:StartupTimeout must be positive, not {startupTimeout}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
