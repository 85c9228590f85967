using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// Applies mTLS (or a port's exemption) to every endpoint Kestrel creates, through Kestrel's endpoint defaults.
/// Kestrel keeps only the last <c>ConfigureEndpointDefaults</c> delegate, and endpoints created before this runs do
/// not see it: that is why coverage is checked once the server has bound (<see cref="SpiffeEndpointCoverageCheck"/>)
/// and every request's connection is checked too, rather than assumed from this hook.
/// </summary>
internal sealed class SpiffeKestrelConfigurator : Microsoft.Extensions.Options.IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ConfigureEndpointDefaults(SpiffeListenOptionsExtensions.ApplyDefaults);
    }
}
