using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Bundles;
using Mtls.Federation;
using Mtls.Identity;
using Mtls.Testing.Certificates;

namespace Mtls.AspNetCore.Tests.Federation;

/// <summary>
/// The fetching side against endpoints the test controls (real Kestrel on loopback, real HttpClient): every kind of bad
/// answer is rejected and the last good bundle stays trusted, on a fake clock.
/// </summary>
public sealed class BundleEndpointFetchTests : IDisposable
{
    private const string EndpointId = "spiffe://b.test/bundle-endpoint";
    private static readonly TrustDomain Local = TrustDomain.Parse("a.test");
    private static readonly TrustDomain Foreign = TrustDomain.Parse("b.test");
    private readonly TestWebPki _web = new();
    private readonly TestCertificateAuthority _b = TestCertificateAuthority.Create("b.test");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    public static TheoryData<string, string> HostileAnswers => new()
    {
        { "garbage", "not a SPIFFE bundle (MalformedJson)" },
        { "no-keys", "not a SPIFFE bundle (MissingKeys)" },
        { "lower-sequence", "spiffe_sequence went backwards from 5 to 4" },
        { "no-sequence", "has no spiffe_sequence" },
        { "other-trust-domain", "of another trust domain than b.test" },
        { "leaf-as-authority", "SigningCertificateNotCa" },
        { "declared-50MB", "declared a body of 52428800 bytes, over the limit of 4194304 bytes (MaxBundleDocumentBytes)" },
        { "streamed-50MB", "sent a longer body, over the limit of 4194304 bytes (MaxBundleDocumentBytes)" },
        { "server-error", "answered 500" },
    };

    [Theory]
    [MemberData(nameof(HostileAnswers))]
    public async Task A_bad_answer_is_rejected_and_the_last_good_bundle_stays_trusted(string answer, string reason)
    {
        await using var server = await BundleServer.StartAsync(_web.ServerCertificate);
        server.Serve(GoodBundle(sequence: 5));
        await using var source = new FederatedBundleSource(Options(server.Url), Local, time: _time);
        var good = await FederationWait.FirstAttemptAsync(source);
        Assert.Null(good.LastError);
        var trusted = source.GetX509Bundle(Foreign);
        Assert.NotNull(trusted);

        server.Respond(Hostile(answer));
        var status = await FederationWait.NextAttemptAsync(source, _time);

        Assert.Contains(reason, status.LastError, StringComparison.Ordinal);
        Assert.Equal(1, status.ConsecutiveFailures);
        Assert.Equal(5UL, status.Bundle!.SequenceNumber);
        Assert.Same(trusted, source.GetX509Bundle(Foreign));
        Assert.Equal(good.LastSuccess, status.LastSuccess);
    }

    [Fact]
    public async Task A_slow_drip_is_cut_off_at_the_fetch_timeout_and_the_last_good_bundle_stays_trusted()
    {
        await using var server = await BundleServer.StartAsync(_web.ServerCertificate);
        server.Serve(GoodBundle(sequence: 5));
        await using var source = new FederatedBundleSource(Options(server.Url), Local, time: _time);
        await FederationWait.FirstAttemptAsync(source);
        var trusted = source.GetX509Bundle(Foreign);

        var dripping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Respond(async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"keys\": [");
            await context.Response.Body.FlushAsync();
            dripping.TrySetResult();
            try
            {
                // One byte per 50 ms, bounded: far slower than any real endpoint, never finishing on its own in a test.
                for (int i = 0; i < 2000 && !context.RequestAborted.IsCancellationRequested; i++)
                {
                    await context.Response.WriteAsync(" ", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(50, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The client gave up, as it should.
            }
        });
        var scheduled = await FederationWait.UntilAsync(source, s => s.NextAttempt is not null);
        _time.Advance(scheduled.NextAttempt!.Value - _time.GetUtcNow());
        await dripping.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _time.Advance(TimeSpan.FromSeconds(10));
        var status = await FederationWait.UntilAsync(source, s => s.LastError is not null && s.NextAttempt is not null);

        Assert.Contains("no complete answer within Spiffe:Federation:FetchTimeout (00:00:10)", status.LastError, StringComparison.Ordinal);
        Assert.Same(trusted, source.GetX509Bundle(Foreign));
    }

    [Fact]
    public async Task Https_web_endpoint_not_signed_by_the_configured_roots_is_not_trusted()
    {
        using var otherWeb = new TestWebPki();
        await using var server = await BundleServer.StartAsync(otherWeb.ServerCertificate);
        server.Serve(GoodBundle(sequence: 5));
        await using var source = new FederatedBundleSource(Options(server.Url), Local, time: _time);

        var status = await FederationWait.FirstAttemptAsync(source);

        Assert.Contains("the request failed", status.LastError, StringComparison.Ordinal);
        Assert.Null(source.GetX509Bundle(Foreign));
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task Https_spiffe_endpoint_is_authenticated_with_the_initial_bundle_then_with_each_fetched_one()
    {
        using var rotated = TestCertificateAuthority.Create("b.test");
        await using var server = await BundleServer.StartAsync(_web.ServerCertificate);
        UseSvid(server, _b, EndpointId);
        server.Serve(Bundle(sequence: 5, _b, rotated));
        await using var source = new FederatedBundleSource(SpiffeOptions(server.Url, InitialBundleFile(sequence: 1)), Local, time: _time);

        var first = await FederationWait.FirstAttemptAsync(source);
        Assert.Null(first.LastError);
        Assert.Equal(5UL, first.Bundle!.SequenceNumber);

        // The endpoint moves to the new CA; only the fetched bundle (not the initial one) knows it.
        UseSvid(server, rotated, EndpointId);
        server.Serve(Bundle(sequence: 6, rotated));
        var second = await FederationWait.NextAttemptAsync(source, _time);

        Assert.Null(second.LastError);
        Assert.Equal(6UL, second.Bundle!.SequenceNumber);
        Assert.True(source.GetX509Bundle(Foreign)!.Contains(rotated.Root));
        Assert.False(source.GetX509Bundle(Foreign)!.Contains(_b.Root));
    }

    [Fact]
    public async Task Https_spiffe_endpoint_with_the_wrong_spiffe_id_is_rejected_and_the_last_good_bundle_stays_trusted()
    {
        await using var server = await BundleServer.StartAsync(_web.ServerCertificate);
        UseSvid(server, _b, EndpointId);
        server.Serve(GoodBundle(sequence: 5));
        await using var source = new FederatedBundleSource(SpiffeOptions(server.Url, InitialBundleFile(sequence: 1)), Local, time: _time);
        await FederationWait.FirstAttemptAsync(source);
        var trusted = source.GetX509Bundle(Foreign);
        int requests = server.Requests;

        UseSvid(server, _b, "spiffe://b.test/impostor");
        server.Serve(Bundle(sequence: 9, _b));
        var status = await FederationWait.NextAttemptAsync(source, _time);

        Assert.Contains("it presented spiffe://b.test/impostor, not the configured EndpointSpiffeId spiffe://b.test/bundle-endpoint", status.LastError, StringComparison.Ordinal);
        Assert.Same(trusted, source.GetX509Bundle(Foreign));
        Assert.Equal(5UL, status.Bundle!.SequenceNumber);
        Assert.Equal(requests, server.Requests);
    }

    [Fact]
    public async Task Https_spiffe_endpoint_with_the_right_id_from_a_ca_outside_the_stored_bundle_is_rejected()
    {
        using var rogue = TestCertificateAuthority.Create("b.test");
        await using var server = await BundleServer.StartAsync(_web.ServerCertificate);
        UseSvid(server, rogue, EndpointId);
        server.Serve(Bundle(sequence: 9, rogue));
        await using var source = new FederatedBundleSource(SpiffeOptions(server.Url, InitialBundleFile(sequence: 1)), Local, time: _time);

        var status = await FederationWait.FirstAttemptAsync(source);

        Assert.Contains("does not verify against the stored bundle of b.test", status.LastError, StringComparison.Ordinal);
        Assert.Equal(1UL, status.Bundle!.SequenceNumber);
        Assert.False(source.GetX509Bundle(Foreign)!.Contains(rogue.Root));
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task The_refresh_hint_schedules_the_next_fetch_with_jitter_only_earlier_and_within_the_bounds()
    {
        await using var server = await BundleServer.StartAsync(_web.ServerCertificate);
        server.Serve(Bundle(sequence: 5, refreshHint: TimeSpan.FromSeconds(100), _b));
        await using var source = new FederatedBundleSource(Options(server.Url), Local, time: _time);

        var status = await FederationWait.FirstAttemptAsync(source);
        var delay = status.NextAttempt!.Value - status.LastAttempt!.Value;
        Assert.InRange(delay, TimeSpan.FromSeconds(80), TimeSpan.FromSeconds(100));

        server.Serve(Bundle(sequence: 6, refreshHint: TimeSpan.Zero, _b));
        status = await FederationWait.NextAttemptAsync(source, _time);
        delay = status.NextAttempt!.Value - status.LastAttempt!.Value;
        Assert.InRange(delay, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(10));
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task Failed_fetches_back_off_exponentially_and_a_success_resets_the_delay()
    {
        await using var server = await BundleServer.StartAsync(_web.ServerCertificate);
        server.Respond(Hostile("server-error"));
        await using var source = new FederatedBundleSource(Options(server.Url), Local, time: _time);

        var delays = new List<TimeSpan>();
        var status = await FederationWait.FirstAttemptAsync(source);
        delays.Add(status.NextAttempt!.Value - status.LastAttempt!.Value);
        for (int i = 0; i < 4; i++)
        {
            status = await FederationWait.NextAttemptAsync(source, _time);
            delays.Add(status.NextAttempt!.Value - status.LastAttempt!.Value);
        }

        Assert.Equal(5, status.ConsecutiveFailures);
        for (int i = 0; i < delays.Count; i++)
        {
            // 1 s doubled per failure, each a random point in its upper half.
            Assert.InRange(delays[i], TimeSpan.FromSeconds(Math.Pow(2, i) / 2), TimeSpan.FromSeconds(Math.Pow(2, i)));
        }

        server.Serve(GoodBundle(sequence: 1));
        status = await FederationWait.NextAttemptAsync(source, _time);
        Assert.Equal(0, status.ConsecutiveFailures);
        Assert.InRange(status.NextAttempt!.Value - status.LastAttempt!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Each_fetch_is_counted_by_trust_domain_and_outcome()
    {
        // A trust domain of its own, so fetches of tests running in parallel do not count here.
        using var metered = TestCertificateAuthority.Create("metered.test");
        var counted = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Telemetry.MtlsTelemetry.Name && instrument.Name == "mtls.federation.fetches")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var values = tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString());
            if (values[Telemetry.MtlsTelemetry.TrustDomainTag] == "metered.test")
            {
                counted.Enqueue(values[Telemetry.MtlsTelemetry.OutcomeTag]!);
            }
        });
        listener.Start();
        await using var server = await BundleServer.StartAsync(_web.ServerCertificate);
        server.Serve(new SpiffeBundle(metered.TrustDomain, [metered.Root], [], 1));
        var options = new SpiffeFederationOptions
        {
            TrustDomains = { new FederatedTrustDomainOptions { TrustDomain = "metered.test", BundleEndpointUrl = server.Url.ToString(), WebRootsFile = _web.RootFile } },
        };
        await using var source = new FederatedBundleSource(options, Local, time: _time);
        await FederationWait.FirstAttemptAsync(source);

        server.Serve("garbage");
        await FederationWait.NextAttemptAsync(source, _time);

        Assert.Equal(["ok", "failed"], counted);
    }

    public void Dispose()
    {
        _b.Dispose();
        _web.Dispose();
    }

    private static void UseSvid(BundleServer server, TestCertificateAuthority ca, string id)
    {
        var certificate = TestPki.ToClientCertificate(ca.Issue(id));
        server.UseCertificate(certificate.Certificate, certificate.Intermediates);
    }

    private static SpiffeBundle Bundle(ulong? sequence, params TestCertificateAuthority[] authorities) =>
        Bundle(sequence, refreshHint: null, authorities);

    private static SpiffeBundle Bundle(ulong? sequence, TimeSpan? refreshHint, params TestCertificateAuthority[] authorities) =>
        new(Foreign, authorities.Select(a => a.Root), [], sequence, refreshHint);

    private SpiffeBundle GoodBundle(ulong? sequence) => Bundle(sequence, _b);

    private string InitialBundleFile(ulong sequence)
    {
        string path = _web.FilePath($"initial-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, GoodBundle(sequence).ToJson());
        return path;
    }

    private SpiffeFederationOptions Options(Uri url) => new()
    {
        TrustDomains = { new FederatedTrustDomainOptions { TrustDomain = "b.test", BundleEndpointUrl = url.ToString(), WebRootsFile = _web.RootFile } },
    };

    private static SpiffeFederationOptions SpiffeOptions(Uri url, string initialBundleFile) => new()
    {
        TrustDomains =
        {
            new FederatedTrustDomainOptions
            {
                TrustDomain = "b.test",
                BundleEndpointUrl = url.ToString(),
                Profile = BundleEndpointProfile.HttpsSpiffe,
                EndpointSpiffeId = EndpointId,
                InitialBundleFile = initialBundleFile,
            },
        },
    };

    private Func<HttpContext, Task> Hostile(string answer) => answer switch
    {
        "garbage" => Text("<html>this is not JSON</html>"),
        "no-keys" => Text("{\"spiffe_sequence\": 6}"),
        "lower-sequence" => Text(Bundle(sequence: 4, _b).ToJson()),
        "no-sequence" => Text(Bundle(sequence: null, _b).ToJson()),
        "other-trust-domain" => OtherTrustDomainBundle(),
        "leaf-as-authority" => LeafAsAuthorityBundle(),
        "declared-50MB" => async context =>
        {
            context.Response.ContentLength = 50L * 1024 * 1024;
            await context.Response.WriteAsync("{\"keys\": []}");
        },
        "streamed-50MB" => async context =>
        {
            context.Response.ContentType = "application/json";
            byte[] chunk = Encoding.ASCII.GetBytes(new string(' ', 1024 * 1024));
            try
            {
                await context.Response.WriteAsync("{\"keys\": [", context.RequestAborted);
                for (int i = 0; i < 50 && !context.RequestAborted.IsCancellationRequested; i++)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The client stopped reading at the limit, as it should.
            }
        },
        "server-error" => context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        },
        _ => throw new ArgumentOutOfRangeException(nameof(answer), answer, null),
    };

    private static Func<HttpContext, Task> Text(string body) => context =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body);
    };

    /// <summary>Another trust domain's CA served as b.test's bundle (its CA carries spiffe://c.test).</summary>
    private static Func<HttpContext, Task> OtherTrustDomainBundle()
    {
        using var c = TestCertificateAuthority.Create("c.test");
        return Text(new SpiffeBundle(Foreign, [c.Root], [], 6).ToJson());
    }

    /// <summary>An SVID leaf (not a CA) served as an authority: it could otherwise "sign" nothing, but must not be trusted as a root.</summary>
    private Func<HttpContext, Task> LeafAsAuthorityBundle()
    {
        using var leaf = _b.Issue("spiffe://b.test/workload").LoadLeaf();
        return Text(new SpiffeBundle(Foreign, [_b.Root, leaf], [], 6).ToJson());
    }
}
