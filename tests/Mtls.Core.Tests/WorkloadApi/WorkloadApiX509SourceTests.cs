using System.Diagnostics;
using Grpc.Core;
using Mtls.Identity;
using Mtls.Testing.Certificates;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;
using Mtls.X509;
using Xunit.Abstractions;

namespace Mtls.Core.Tests.WorkloadApi;

public sealed class WorkloadApiX509SourceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string WebId = "spiffe://example.org/web";
    private static readonly TrustDomain Partner = TrustDomain.Parse("partner.org");
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _partner = TestCertificateAuthority.Create("partner.org");
    private readonly WorkloadApiServer _agent = new();
    private readonly RecordingLogger _log = new();

    public async Task InitializeAsync()
    {
        _agent.AddTrustDomain(_ca);
        _agent.AddTrustDomain(_partner);
        _agent.SetIdentities(WebId);
        await _agent.StartAsync();
    }

    [Fact]
    public async Task First_update_gives_the_default_svid_its_bundle_and_federated_bundles()
    {
        await using var source = await StartSourceAsync();

        var svid = source.GetX509Svid();
        Assert.NotNull(svid);
        Assert.Equal(WebId, svid.Id.ToString());
        Assert.True(source.GetX509Bundle(_ca.TrustDomain)!.Contains(_ca.Root));
        Assert.True(source.GetX509Bundle(Partner)!.Contains(_partner.Root));
        Assert.Equal(WorkloadApiSourceState.Ready, source.State);
    }

    [Fact]
    public async Task Svid_hint_chooses_among_several_svids()
    {
        _agent.SetIdentities(_ => [new WorkloadApiIdentity(WebId, "external"), new WorkloadApiIdentity("spiffe://example.org/internal", "internal")]);
        var options = Options();
        options.SvidHint = "internal";

        await using var source = await WorkloadApiX509Source.CreateAsync(options, _log.Factory);

        Assert.Equal("spiffe://example.org/internal", source.GetX509Svid()!.Id.ToString());
        Assert.Equal(2, source.Current!.Svids.Count);
    }

    [Fact]
    public async Task Rotation_reaches_the_source_and_fires_the_change_token()
    {
        await using var source = await StartSourceAsync();
        string before = source.GetX509Svid()!.Certificate.SerialNumber;
        var token = source.GetChangeToken();
        long notifiedAt = 0;
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.RegisterChangeCallback(
            _ =>
            {
                notifiedAt = Stopwatch.GetTimestamp();
                fired.TrySetResult();
            },
            null);

        long rotatedAt = Stopwatch.GetTimestamp();
        _agent.Rotate();
        await fired.Task.WaitAsync(SourceSignals.Timeout);

        var latency = Stopwatch.GetElapsedTime(rotatedAt, notifiedAt);
        output.WriteLine($"rotation reached the source {latency.TotalMilliseconds:0.0} ms after the agent rotated");
        Assert.NotEqual(before, source.GetX509Svid()!.Certificate.SerialNumber);
        Assert.True(latency < TimeSpan.FromSeconds(1), $"rotation took {latency.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Ten_agent_restarts_in_a_row_are_survived_with_the_last_svid_served_meanwhile()
    {
        await using var source = await StartSourceAsync();

        for (int restart = 1; restart <= 10; restart++)
        {
            string served = source.GetX509Svid()!.Certificate.SerialNumber;
            await _agent.StopAsync();
            Assert.Equal(served, source.GetX509Svid()!.Certificate.SerialNumber);

            _agent.Rotate();
            await _agent.StartAsync();

            var current = await SourceSignals.WaitUntilAsync(source, c => c.DefaultSvid!.Certificate.SerialNumber != served);
            Assert.Equal(WebId, current.DefaultSvid!.Id.ToString());
        }

        Assert.Equal(WorkloadApiSourceState.Ready, source.State);
    }

    [Fact]
    public async Task Agent_absent_at_start_and_started_later_is_picked_up()
    {
        await _agent.StopAsync();
        await using var source = new WorkloadApiX509Source(Options(), _log.Factory);
        await _log.WaitForAsync("StreamFailed");
        Assert.Null(source.Current);
        Assert.Equal(WorkloadApiSourceState.Connecting, source.State);

        await _agent.StartAsync();
        await source.WaitUntilReadyAsync();

        Assert.Equal(WebId, source.GetX509Svid()!.Id.ToString());
    }

    [Fact]
    public async Task Initial_wait_fails_naming_the_address_and_attempts_when_the_agent_is_unreachable()
    {
        await _agent.StopAsync();
        var options = Options();
        options.InitialFetchTimeout = TimeSpan.FromMilliseconds(500);

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => WorkloadApiX509Source.CreateAsync(options, _log.Factory));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains(_agent.Address, error.Message, StringComparison.Ordinal);
        Assert.Matches(@"after \d+ attempt\(s\)", error.Message);
    }

    [Theory]
    [InlineData(MalformedX509Update.NoSvids, "empty_field")]
    [InlineData(MalformedX509Update.EmptyBundle, "empty_field")]
    [InlineData(MalformedX509Update.GarbageCertificate, nameof(X509SvidRule.MalformedCertificate))]
    [InlineData(MalformedX509Update.KeyMismatch, nameof(X509SvidRule.KeyMismatch))]
    [InlineData(MalformedX509Update.SignedByUnknownAuthority, nameof(X509SvidRule.ChainNotTrusted))]
    [InlineData(MalformedX509Update.SpiffeIdMismatch, "spiffe_id_mismatch")]
    public async Task Malformed_update_is_rejected_and_the_previous_state_kept(MalformedX509Update kind, string reason)
    {
        await using var source = await StartSourceAsync();
        var before = source.Current!;
        string serial = before.DefaultSvid!.Certificate.SerialNumber;

        _agent.PushMalformedX509(kind);
        var rejected = await _log.WaitForAsync("UpdateRejected");

        Assert.Equal(reason, rejected.Values["Reason"]);
        Assert.Same(before, source.Current);
        Assert.Equal(serial, source.GetX509Svid()!.Certificate.SerialNumber);
    }

    [Fact]
    public async Task Permission_denied_withdraws_the_svid_keeps_bundles_and_recovers_when_granted_again()
    {
        await using var source = await StartSourceAsync();

        _agent.FailWith(StatusCode.PermissionDenied, "no identity issued");
        var withdrawn = await SourceSignals.WaitUntilAsync(source, c => c.Svids.Count == 0);

        Assert.Null(source.GetX509Svid());
        Assert.True(withdrawn.Bundles.GetX509Bundle(_ca.TrustDomain)!.Contains(_ca.Root));
        Assert.Equal(WorkloadApiSourceState.IdentityWithdrawn, source.State);

        _agent.ClearFailure();
        await SourceSignals.WaitUntilAsync(source, c => c.Svids.Count == 1);
        Assert.Equal(WebId, source.GetX509Svid()!.Id.ToString());
    }

    [Fact]
    public async Task Federated_bundle_removed_by_the_agent_stops_being_trusted()
    {
        await using var source = await StartSourceAsync();
        var partnerPeer = _partner.Issue("spiffe://partner.org/api");
        using var partnerLeaf = partnerPeer.LoadLeaf();
        var verifier = new X509SvidVerifier(source);
        Assert.Equal("spiffe://partner.org/api", verifier.Verify(partnerLeaf, partnerPeer.LoadIntermediates()).ToString());

        _agent.RemoveTrustDomain(Partner);
        await SourceSignals.WaitUntilAsync(source, c => c.Bundles.GetX509Bundle(Partner) is null);

        var error = Assert.Throws<X509SvidException>(() => verifier.Verify(partnerLeaf, partnerPeer.LoadIntermediates()));
        Assert.Equal(X509SvidRule.UntrustedTrustDomain, error.Rule);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.Unimplemented)]
    public async Task Refusal_at_start_fails_the_initial_wait_at_once_with_the_status(StatusCode code)
    {
        _agent.FailWith(code, "refused by the test");
        var options = Options();
        options.InitialFetchTimeout = TimeSpan.FromSeconds(30);
        var started = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<WorkloadApiException>(() => WorkloadApiX509Source.CreateAsync(options, _log.Factory));

        Assert.Equal(code, error.StatusCode);
        Assert.Contains("refused by the test", error.Message, StringComparison.Ordinal);
        Assert.Single(_log.Entries, e => e.EventName == "WatchStopped");
        Assert.True(started.Elapsed < options.InitialFetchTimeout, "the refusal should not wait for the timeout");
    }

    [Fact]
    public async Task Invalid_argument_after_start_is_reported_not_retried_and_the_last_state_kept()
    {
        await using var source = await StartSourceAsync();
        string serial = source.GetX509Svid()!.Certificate.SerialNumber;

        _agent.FailWith(StatusCode.InvalidArgument, "bad request");
        await _log.WaitForAsync("WatchStopped");

        Assert.Equal(WorkloadApiSourceState.Failed, source.State);
        Assert.Equal(StatusCode.InvalidArgument, source.LastError!.StatusCode);
        Assert.Equal(serial, source.GetX509Svid()!.Certificate.SerialNumber);
        Assert.DoesNotContain(_log.Entries, e => e.EventName == "StreamFailed");
        Assert.Equal(0, _agent.OpenX509Streams);
    }

    [Fact]
    public async Task Dispose_ends_the_stream_promptly_and_releases_the_certificates()
    {
        var source = await StartSourceAsync();
        await _agent.WaitForOpenX509StreamsAsync(1).WaitAsync(SourceSignals.Timeout);
        var svid = source.GetX509Svid()!;

        await source.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        await _agent.WaitForOpenX509StreamsAsync(0).WaitAsync(SourceSignals.Timeout);
        Assert.Null(source.Current);
        Assert.Equal(IntPtr.Zero, svid.Certificate.Handle);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _ca.Dispose();
        _partner.Dispose();
    }

    private WorkloadApiX509SourceOptions Options() => new()
    {
        Address = _agent.Address,
        ReconnectDelay = TimeSpan.FromMilliseconds(10),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(100),
        InitialFetchTimeout = SourceSignals.Timeout,
    };

    private Task<WorkloadApiX509Source> StartSourceAsync() => WorkloadApiX509Source.CreateAsync(Options(), _log.Factory);
}
