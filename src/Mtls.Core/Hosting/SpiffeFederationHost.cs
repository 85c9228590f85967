using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.Federation;
using Mtls.Identity;
using Mtls.Sources;

namespace Mtls.Hosting;

/// <summary>
/// The federation of <c>Spiffe:Federation</c> in the container: the bundle source fetching the configured trust
/// domains and the source decorating the owned one with them, or nothing when no trust domain is configured. Owned by
/// the container: disposing it stops the fetches.
/// </summary>
internal sealed class SpiffeFederationHost : IAsyncDisposable, IDisposable
{
    private SpiffeFederationHost(FederatedBundleSource? bundles, FederatedX509Source? source)
    {
        Bundles = bundles;
        Source = source;
    }

    /// <summary>The fetched bundles, or null without federation.</summary>
    internal FederatedBundleSource? Bundles { get; }

    /// <summary>The owned source with the fetched bundles added, or null without federation.</summary>
    internal FederatedX509Source? Source { get; }

    internal static SpiffeFederationHost Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SpiffeX509SourceOptions>>().Value;
        if (!options.Federation.IsEnabled)
        {
            return new SpiffeFederationHost(null, null);
        }

        var owned = services.GetRequiredService<OwnedSource<IX509Source>>().Source;
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var local = TrustDomain.Parse(options.TrustDomain!);

        // The SVID presented to https_spiffe endpoints on mTLS ports: the same choice servers and clients make.
        var identity = X509SourceChoice.Apply(owned, new SvidPreference(string.IsNullOrEmpty(options.SvidHint) ? null : options.SvidHint, local));
        var bundles = new FederatedBundleSource(options.Federation, local, identity, services.GetRequiredService<TimeProvider>(), loggerFactory);
        return new SpiffeFederationHost(bundles, new FederatedX509Source(owned, bundles, loggerFactory.CreateLogger("Mtls.Federation")));
    }

    public void Dispose()
    {
        Source?.Dispose();

        // A container disposed synchronously: the fetch loops have no synchronous way to stop.
        Bundles?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        Source?.Dispose();
        if (Bundles is not null)
        {
            await Bundles.DisposeAsync().ConfigureAwait(false);
        }
    }
}
