using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// Once the server has bound its addresses, checks that every one is covered: mTLS, or exempt by name. Anything else
/// (an endpoint created before <c>AddSpiffeMtls</c>, or after the app replaced Kestrel's endpoint defaults, an
/// <c>https://</c> endpoint with a certificate of its own) stops startup with a message naming the endpoint and the
/// two ways to fix it. Until then, requests on such an endpoint are refused by the connection check.
/// </summary>
internal sealed partial class SpiffeEndpointCoverageCheck(IServer server, SpiffeServerTls tls, ILogger<SpiffeEndpointCoverageCheck> logger)
    : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var uncovered = new List<string>();
        foreach (string address in addresses)
        {
            if (tls.Coverage(address) is { } coverage)
            {
                LogCovered(logger, address, coverage);
            }
            else
            {
                uncovered.Add(address);
            }
        }

        if (uncovered.Count > 0)
        {
            throw new InvalidOperationException(Message(uncovered));
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static string Message(IReadOnlyList<string> uncovered) =>
        $"SPIFFE mTLS does not cover the Kestrel endpoint{(uncovered.Count > 1 ? "s" : string.Empty)} {string.Join(", ", uncovered)}: "
        + "it would serve requests without verifying the caller, so the server does not start. Fix it either way: "
        + "(1) give it mTLS: call AddSpiffeMtls() before ConfigureKestrel/Listen, and do not replace ConfigureEndpointDefaults "
        + "afterwards (or call listenOptions.UseSpiffeMtls() inside your own ConfigureEndpointDefaults or Listen delegate); "
        + "(2) if it must serve without mTLS (e.g. kubelet probes), opt its port out by name: "
        + "AddSpiffeMtls(o => o.ExemptPort(port, \"kubelet-probes\", \"/healthz\")).";

    [LoggerMessage(1, LogLevel.Information, "Kestrel endpoint {Address}: {Coverage}", EventName = "SpiffeEndpointCovered")]
    private static partial void LogCovered(ILogger logger, string address, string coverage);
}
