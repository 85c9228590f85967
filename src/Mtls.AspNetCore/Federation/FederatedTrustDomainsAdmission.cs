using Microsoft.Extensions.Options;
using Mtls.Hosting;
using Mtls.Identity;

namespace Mtls.AspNetCore.Federation;

/// <summary>
/// With <c>Spiffe:Federation</c> configured and neither <see cref="SpiffeMtlsOptions.AuthorizedTrustDomains"/> nor a
/// <see cref="SpiffeMtlsOptions.HandshakeAuthorizer"/> set, the handshake admits our trust domain and the federated
/// ones, and no other. An explicit list or authorizer is the application's decision and is left alone.
/// </summary>
internal sealed class FederatedTrustDomainsAdmission(IOptions<SpiffeX509SourceOptions> sourceOptions) : IPostConfigureOptions<SpiffeMtlsOptions>
{
    public void PostConfigure(string? name, SpiffeMtlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var source = sourceOptions.Value;
        if (!source.Federation.IsEnabled || options.HandshakeAuthorizer is not null || options.AuthorizedTrustDomains.Count > 0
            || !TrustDomain.TryParse(source.TrustDomain, out var local))
        {
            return;
        }

        options.AuthorizedTrustDomains.Add(local.Name);
        foreach (var federated in source.Federation.TrustDomains)
        {
            // An invalid name is reported by the source options' validation, under its own key.
            if (TrustDomain.TryParse(federated?.TrustDomain, out var trustDomain))
            {
                options.AuthorizedTrustDomains.Add(trustDomain.Name);
            }
        }
    }
}
