using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// Applies <see cref="SpiffeListenOptionsExtensions.UseSpiffeMtls"/> to every endpoint through Kestrel's endpoint
/// defaults. Kestrel's HTTPS defaults cannot carry a per-connection options callback, and an <c>https://</c> URL
/// whose endpoint is already TLS is not given the development certificate, so endpoint defaults are the hook.
/// </summary>
internal sealed class SpiffeKestrelConfigurator(IOptions<SpiffeMtlsOptions> spiffeOptions) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (spiffeOptions.Value.AllEndpoints)
        {
            options.ConfigureEndpointDefaults(endpoint => endpoint.UseSpiffeMtls());
        }
    }
}
