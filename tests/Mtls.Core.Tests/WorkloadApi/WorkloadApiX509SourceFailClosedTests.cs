using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using Mtls.Testing.Certificates;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;
using Mtls.X509;

namespace Mtls.Core.Tests.WorkloadApi;

/// <summary>Issue 11: the Workload API X.509 source never fails open.</summary>
public sealed class WorkloadApiX509SourceFailClosedTests : IAsyncLifetime
{
    private const string WebId = "spiffe://example.org/web";
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly WorkloadApiServer _agent = new();
    private readonly RecordingLogger _log = new();

    public async Task InitializeAsync()
    {
        _agent.AddTrustDomain(_ca);
        _agent.SetIdentities(WebId);
        await _agent.StartAsync();
    }

    [Fact]
    public async Task Throwing_change_callback_does_not_stop_rotation()
    {
        await using var source = await WorkloadApiX509Source.CreateAsync(Options(), _log.Factory);
        string initial = source.GetX509Svid()!.Certificate.SerialNumber;
        using var throwing = ChangeToken.OnChange(source.GetChangeToken, () => throw new InvalidOperationException("a consumer's bug"));
        var seen = new SerialRecorder();
        using var watching = ChangeToken.OnChange(source.GetChangeToken, () => seen.Add(source.GetX509Svid()?.Certificate.SerialNumber));

        _agent.Rotate();
        string first = await seen.WaitForNewAsync(initial);
        _agent.Rotate();
        string second = await seen.WaitForNewAsync(first);

        Assert.Equal(second, source.GetX509Svid()!.Certificate.SerialNumber);
        Assert.Equal(WorkloadApiSourceState.Ready, source.State);
        var failures = _log.Entries.Where(e => e.EventName == "ChangeCallbackFailed").ToList();
        Assert.Single(failures);
    }

    [Fact]
    public async Task Permission_denied_with_a_throwing_picker_leaves_no_svid()
    {
        var options = Options();
        options.SvidPicker = svids => svids.First(s => s.Id.Path == "/web");
        await using var source = await WorkloadApiX509Source.CreateAsync(options, _log.Factory);
        Assert.NotNull(source.GetX509Svid());

        _agent.FailWith(StatusCode.PermissionDenied, "no identity issued");
        await SourceSignals.WaitUntilAsync(source, c => c.Svids.Count == 0);

        Assert.Null(source.GetX509Svid());
        Assert.Equal(WorkloadApiSourceState.IdentityWithdrawn, source.State);
    }

    [Fact]
    public async Task Reconnects_after_short_lived_streams_back_off()
    {
        // One valid update per stream, then the stream ends: a flapping agent. The clock is fake, so 10 s pass at
        // once; each reconnect delay is a timer on that clock, fired by advancing the clock to its due time.
        var time = new TimerSignallingTimeProvider(DateTimeOffset.UtcNow);
        _agent.EndX509StreamsAfterOneUpdate();
        var options = new WorkloadApiX509SourceOptions { Address = _agent.Address, TimeProvider = time };
        await using var source = new WorkloadApiX509Source(options, _log.Factory);

        // A reconnect timer is armed only after its stream was opened and ended, so every open before it has been
        // counted; the loop stops before firing a timer due after 10 s, whose open would race the count.
        var elapsed = TimeSpan.Zero;
        while (true)
        {
            var due = await time.NextTimerAsync().WaitAsync(SourceSignals.Timeout);
            if (elapsed + due > TimeSpan.FromSeconds(10))
            {
                break;
            }

            elapsed += due;
            time.Advance(due);
        }

        // Default backoff: 1 s doubling, jitter between half and all of it, so the stream opens at t = 0, then after
        // 0.5-1 s, 1-2 s, 2-4 s and 4-8 s more: 4 or 5 opens in 10 s (without backoff: hundreds).
        int opened = _agent.X509StreamsOpened;
        Assert.InRange(opened, 4, 5);
    }

    [Fact]
    public async Task Backoff_starts_afresh_only_after_a_stream_stayed_healthy()
    {
        var time = new TimerSignallingTimeProvider(DateTimeOffset.UtcNow);
        _agent.EndX509StreamsAfterOneUpdate();
        await using var source = new WorkloadApiX509Source(new WorkloadApiX509SourceOptions { Address = _agent.Address, TimeProvider = time }, _log.Factory);

        // Two short-lived streams: the second delay is already 1-2 s.
        time.Advance(await time.NextTimerAsync().WaitAsync(SourceSignals.Timeout));
        var second = await time.NextTimerAsync().WaitAsync(SourceSignals.Timeout);
        Assert.InRange(second, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        // The third stream stays up, delivers its update and lives for longer than HealthyStreamDuration (30 s).
        _agent.EndX509StreamsAfterOneUpdate(false);
        var updated = SourceSignals.Fired(source.GetChangeToken());
        time.Advance(second);
        await updated.WaitAsync(SourceSignals.Timeout);
        time.Advance(TimeSpan.FromSeconds(31));
        await _agent.StopAsync();

        var afterHealthy = await time.NextTimerAsync().WaitAsync(SourceSignals.Timeout);
        Assert.InRange(afterHealthy, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        Assert.Equal(WorkloadApiSourceState.Reconnecting, source.State);
    }

    [Fact]
    public async Task Svid_that_expires_without_a_replacement_is_withdrawn()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var source = await WorkloadApiX509Source.CreateAsync(new WorkloadApiX509SourceOptions { Address = _agent.Address, TimeProvider = time }, _log.Factory);
        var svid = source.GetX509Svid()!;
        // The agent goes away: no replacement will come before the SVID expires.
        await _agent.StopAsync();
        var withdrawn = SourceSignals.Fired(source.GetChangeToken());

        time.Advance(svid.NotAfter - time.GetUtcNow() + TimeSpan.FromSeconds(1));
        await withdrawn.WaitAsync(SourceSignals.Timeout);

        Assert.Null(source.GetX509Svid());
        Assert.Contains(_log.Entries, e => e.EventName == "SvidExpired");
    }

    [Fact]
    public async Task Disposed_source_is_not_ready()
    {
        var source = await WorkloadApiX509Source.CreateAsync(Options(), _log.Factory);
        Assert.Equal(WorkloadApiSourceState.Ready, source.State);

        await source.DisposeAsync();

        Assert.Equal(WorkloadApiSourceState.Stopped, source.State);
        Assert.Null(source.GetX509Svid());
    }

    [Fact]
    public async Task Svid_kept_across_five_rotations_still_works()
    {
        await using var source = await WorkloadApiX509Source.CreateAsync(Options(), _log.Factory);
        var kept = source.GetX509Svid()!;
        string keptSerial = kept.Certificate.SerialNumber;

        string last = keptSerial;
        for (int rotation = 1; rotation <= 5; rotation++)
        {
            _agent.Rotate();
            var current = await SourceSignals.WaitUntilAsync(source, c => c.Svids.Count > 0 && c.Svids[0].Certificate.SerialNumber != last);
            last = current.Svids[0].Certificate.SerialNumber;
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.Equal(keptSerial, kept.Certificate.SerialNumber);
        Assert.NotEmpty(kept.Certificate.RawData);
        using (var key = kept.Certificate.GetECDsaPrivateKey()!)
        {
            byte[] data = [1, 2, 3];
            byte[] signature = key.SignData(data, HashAlgorithmName.SHA256);
            using var publicKey = kept.Certificate.GetECDsaPublicKey()!;
            Assert.True(publicKey.VerifyData(data, signature, HashAlgorithmName.SHA256));
        }

        Assert.Equal(keptSerial, await HandshakeAsync(kept));
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _ca.Dispose();
    }

    /// <summary>A TLS handshake on 127.0.0.1 whose server presents <paramref name="svid"/>; returns the serial the client saw.</summary>
    private static async Task<string> HandshakeAsync(X509Svid svid)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = listener.AcceptTcpClientAsync();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var serverSide = await accept;
        await using var serverStream = new SslStream(serverSide.GetStream());
        byte[] expected = svid.Certificate.RawData;
        await using var clientStream = new SslStream(client.GetStream(), false, (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected));
        var serverOptions = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(svid.Certificate, [.. svid.Intermediates], offline: true),
        };
        var serverHandshake = serverStream.AuthenticateAsServerAsync(serverOptions);
        await clientStream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        await serverHandshake.WaitAsync(SourceSignals.Timeout);
        return clientStream.RemoteCertificate!.GetSerialNumberString();
    }

    private WorkloadApiX509SourceOptions Options() => new()
    {
        Address = _agent.Address,
        ReconnectDelay = TimeSpan.FromMilliseconds(10),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(100),
        InitialFetchTimeout = SourceSignals.Timeout,
    };

    /// <summary>Records serials seen by a change callback and lets the test wait for a new one.</summary>
    private sealed class SerialRecorder
    {
        private readonly Lock _gate = new();
        private readonly List<string?> _seen = [];
        private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Add(string? serial)
        {
            TaskCompletionSource fired;
            lock (_gate)
            {
                _seen.Add(serial);
                fired = _added;
                _added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            fired.TrySetResult();
        }

        public async Task<string> WaitForNewAsync(string previous)
        {
            using var cts = new CancellationTokenSource(SourceSignals.Timeout);
            while (true)
            {
                Task added;
                lock (_gate)
                {
                    added = _added.Task;
                    if (_seen.Count > 0 && _seen[^1] is { } last && last != previous)
                    {
                        return last;
                    }
                }

                try
                {
                    await added.WaitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"No rotation after {previous} reached the callback; seen: {string.Join(", ", _seen)}");
                }
            }
        }
    }
}
