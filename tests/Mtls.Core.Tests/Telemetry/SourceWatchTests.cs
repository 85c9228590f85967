using Microsoft.Extensions.Time.Testing;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.Testing.Certificates;

namespace Mtls.Core.Tests.Telemetry;

public sealed class SourceWatchTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _next = TestCertificateAuthority.Create("example.org");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Bundle_age_counts_from_the_last_change_of_the_authorities_not_from_each_update()
    {
        using var svid = _ca.IssueSvid("spiffe://example.org/web");
        using var source = new InMemoryX509Source(svid, new X509BundleSet([_ca.CreateBundle()]));
        var started = _time.GetUtcNow();
        using var watch = new SourceWatch(source, "in-memory", _time, _ => { });

        _time.Advance(TimeSpan.FromMinutes(10));
        source.Update(svid, new X509BundleSet([_ca.CreateBundle()]));

        Assert.Equal(started, ChangedAt(watch, "example.org"));

        _time.Advance(TimeSpan.FromMinutes(5));
        var changed = _time.GetUtcNow();
        source.Update(svid, new X509BundleSet([_ca.CreateBundle().WithAuthority(_next.Root)]));

        Assert.Equal(changed, ChangedAt(watch, "example.org"));
    }

    [Fact]
    public void A_trust_domain_that_leaves_the_bundles_leaves_the_gauge()
    {
        using var svid = _ca.IssueSvid("spiffe://example.org/web");
        using var other = TestCertificateAuthority.Create("other.org");
        using var source = new InMemoryX509Source(svid, new X509BundleSet([_ca.CreateBundle(), other.CreateBundle()]));
        using var watch = new SourceWatch(source, "in-memory", _time, _ => { });

        source.Update(svid, new X509BundleSet([_ca.CreateBundle()]));

        Assert.Equal(["example.org"], watch.BundleChanges().Select(c => c.TrustDomain));
    }

    [Fact]
    public void Disposing_the_watch_removes_it()
    {
        using var source = new InMemoryX509Source();
        SourceWatch? removed = null;
        var watch = new SourceWatch(source, "in-memory", _time, w => removed = w);

        watch.Dispose();

        Assert.Same(watch, removed);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _next.Dispose();
    }

    private static DateTimeOffset ChangedAt(SourceWatch watch, string trustDomain) =>
        watch.BundleChanges().Single(c => c.TrustDomain == trustDomain).ChangedAt;
}
