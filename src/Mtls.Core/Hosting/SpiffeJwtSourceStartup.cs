using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mtls.Files;
using Mtls.Sources;
using Mtls.WorkloadApi;

namespace Mtls.Hosting;

/// <summary>Waits, before the application's server starts, until the JWT bundles the container trusts have arrived.</summary>
internal sealed class SpiffeJwtSourceStartup(IJwtBundleSource bundles, IOptions<SpiffeJwtSourceOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => bundles switch
    {
        WorkloadApiJwtSource workloadApi => workloadApi.WaitUntilReadyAsync(cancellationToken),
        FileJwtBundleSource files => files.WaitUntilReadyAsync(options.Value.StartupTimeout, cancellationToken),
        _ => Task.CompletedTask,
    };

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
