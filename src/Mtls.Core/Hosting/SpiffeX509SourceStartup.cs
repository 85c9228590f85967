using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Mtls.Files;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.WorkloadApi;

namespace Mtls.Hosting;

/// <summary>
/// Starts before a web server (hosted services registered by the application start before it): resolves the
/// source, waits for the first SVID so that the first handshake has a certificate, and puts the SVID on the
/// SVID expiry and bundle age gauges. The SVID waited for is the one the source presents (<see cref="IX509SvidSource.GetX509Svid"/>),
/// the same one servers and clients present.
/// </summary>
internal sealed partial class SpiffeX509SourceStartup(
    IX509Source source,
    IOptions<SpiffeX509SourceOptions> options,
    TimeProvider time,
    ILogger<SpiffeX509SourceStartup> logger) : IHostedService, IDisposable
{
    private IDisposable? _expiryWatch;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var value = options.Value;
        var inner = SpiffeX509SourceFactory.Undecorated(source);
        if (inner is WorkloadApiX509Source workloadApi)
        {
            // Its own wait names the address, the attempts and the agent's last error.
            await workloadApi.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (inner is FileX509Source files)
        {
            // Its own wait names the directory and why the files there are not (yet) a valid SVID.
            await files.WaitUntilReadyAsync(value.StartupTimeout, cancellationToken).ConfigureAwait(false);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (ChangeToken.OnChange(source.GetChangeToken, () => CheckReady(source, ready)))
        {
            CheckReady(source, ready);
            try
            {
                await ready.Task.WaitAsync(value.StartupTimeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                string hint = string.IsNullOrEmpty(value.SvidHint) ? string.Empty : $" with hint '{value.SvidHint}'";
                throw new TimeoutException(
                    $"No X509-SVID{hint} from the {value.Source} source within {SpiffeX509SourceOptions.SectionName}:StartupTimeout ({value.StartupTimeout}).",
                    e);
            }
        }

        // Withdrawn again since the wait ended is possible; the server then fails handshakes and health reports it.
        if (source.GetX509Svid() is { } svid)
        {
            LogReady(logger, svid.Id.ToString(), svid.NotAfter);
        }

        _expiryWatch = MtlsTelemetry.WatchSource(source, SpiffeX509SourceFactory.TelemetryName(value.Source), time);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _expiryWatch?.Dispose();
        _expiryWatch = null;
    }

    private static void CheckReady(IX509Source source, TaskCompletionSource ready)
    {
        if (source.GetX509Svid() is not null)
        {
            ready.TrySetResult();
        }
    }

    [LoggerMessage(1, LogLevel.Information, "SPIFFE identity ready: {SpiffeId}, expires {NotAfter:u}", EventName = "SpiffeIdentityReady")]
    private static partial void LogReady(ILogger logger, string spiffeId, DateTimeOffset notAfter);
}
