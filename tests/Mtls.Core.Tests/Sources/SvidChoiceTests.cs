using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.WorkloadApi;
using Mtls.X509;

namespace Mtls.Core.Tests.Sources;

/// <summary>The one SVID choice (<see cref="SvidChoice"/>) and its decorator for any source (<see cref="X509SourceChoice"/>).</summary>
public sealed class SvidChoiceTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _other = TestCertificateAuthority.Create("other.org");
    private readonly X509Svid _web;
    private readonly X509Svid _internal;
    private readonly X509Svid _foreign;

    public SvidChoiceTests()
    {
        _web = Issue(_ca, "spiffe://example.org/web", "external");
        _internal = Issue(_ca, "spiffe://example.org/internal", "internal");
        _foreign = Issue(_other, "spiffe://other.org/web", "foreign");
    }

    [Fact]
    public void Empty_list_chooses_none_without_asking_the_picker()
    {
        int calls = 0;
        var preference = new SvidPreference(Picker: svids =>
        {
            calls++;
            return svids[0];
        });

        Assert.Null(SvidChoice.Choose([], preference));
        Assert.Equal(0, calls);
    }

    [Fact]
    public void Throwing_picker_chooses_none()
    {
        var preference = new SvidPreference(Picker: svids => svids.First(s => s.Id.Path == "/nobody"));

        Assert.Null(SvidChoice.Choose([_web, _internal], preference));
    }

    [Fact]
    public void Picker_returning_an_svid_it_was_not_given_chooses_none()
    {
        var preference = new SvidPreference(Picker: _ => _foreign);

        Assert.Null(SvidChoice.Choose([_web, _internal], preference));
    }

    [Fact]
    public void Hint_chooses_the_first_match_and_none_without_one()
    {
        Assert.Same(_internal, SvidChoice.Choose([_web, _internal], new SvidPreference(Hint: "internal")));
        Assert.Null(SvidChoice.Choose([_web, _internal], new SvidPreference(Hint: "missing")));
        Assert.Same(_web, SvidChoice.Choose([_web, _internal], SvidPreference.Default));
    }

    [Fact]
    public void Choice_outside_the_preferred_trust_domain_is_none()
    {
        var exampleOrg = TrustDomain.Parse("example.org");

        Assert.Null(SvidChoice.Choose([_foreign, _web], new SvidPreference(TrustDomain: exampleOrg)));
        Assert.Same(_web, SvidChoice.Choose([_web, _foreign], new SvidPreference(TrustDomain: exampleOrg)));
    }

    [Fact]
    public void Decorator_applies_a_hint_to_a_custom_source_with_several_svids()
    {
        var custom = new SeveralSvidsSource(new X509Context([_web, _internal], Bundles()));

        var chosen = X509SourceChoice.Apply(custom, new SvidPreference(Hint: "internal"));

        Assert.Same(_internal, chosen.GetX509Svid());
        var selection = X509SourceChoice.Read(chosen)!;
        Assert.Same(custom.Current, selection.Context);
        Assert.Same(_internal, selection.Svid);
        Assert.Same(custom.Current, chosen.Current);
    }

    [Fact]
    public void Decorator_with_only_a_trust_domain_keeps_the_inner_choice_when_it_is_in_that_trust_domain()
    {
        var custom = new SeveralSvidsSource(new X509Context([_web, _internal], Bundles()), chosen: _internal);

        Assert.Same(_internal, X509SourceChoice.Apply(custom, new SvidPreference(TrustDomain: TrustDomain.Parse("example.org"))).GetX509Svid());
        Assert.Null(X509SourceChoice.Apply(custom, new SvidPreference(TrustDomain: TrustDomain.Parse("other.org"))).GetX509Svid());
    }

    [Fact]
    public void Decorator_follows_the_inner_sources_updates()
    {
        using var source = new InMemoryX509Source(_web, Bundles());
        var chosen = X509SourceChoice.Apply(source, new SvidPreference(TrustDomain: TrustDomain.Parse("example.org")));
        Assert.Same(_web, chosen.GetX509Svid());

        source.Update(_foreign, Bundles());

        Assert.Null(chosen.GetX509Svid());
        Assert.Same(source.Current, X509SourceChoice.Read(chosen)!.Context);
    }

    [Fact]
    public void Empty_preference_leaves_the_source_as_it_is()
    {
        using var source = new InMemoryX509Source(_web, Bundles());

        Assert.Same(source, X509SourceChoice.Apply(source, SvidPreference.Default));
    }

    [Theory]
    [InlineData(1, 500, 1000)]
    [InlineData(2, 1000, 2000)]
    [InlineData(4, 4000, 8000)]
    [InlineData(10, 15000, 30000)]
    [InlineData(1000, 15000, 30000)]
    public void Reconnect_delay_doubles_per_failure_within_its_jitter_and_cap(int failures, int minMs, int maxMs)
    {
        foreach (double random in new[] { 0.0, 0.5, 0.999 })
        {
            var delay = ReconnectingWatchBackoff(failures, random);
            Assert.InRange(delay.TotalMilliseconds, minMs, maxMs);
        }
    }

    public void Dispose()
    {
        _web.Dispose();
        _internal.Dispose();
        _foreign.Dispose();
        _ca.Dispose();
        _other.Dispose();
    }

    private static TimeSpan ReconnectingWatchBackoff(int failures, double random)
    {
        var defaults = new WorkloadApiX509SourceOptions();
        return ReconnectingWatch.Backoff(failures, defaults.ReconnectDelay, defaults.MaxReconnectDelay, random);
    }

    private static X509Svid Issue(TestCertificateAuthority ca, string id, string hint)
    {
        var issued = ca.Issue(id, new SvidSpec { Hint = hint });
        return X509Svid.Parse(issued.CertificatesDer, issued.PrivateKeyPkcs8, hint);
    }

    private X509BundleSet Bundles() => new([_ca.CreateBundle()]);

    /// <summary>A user's own source holding several SVIDs, choosing the first (or <c>chosen</c>).</summary>
    private sealed class SeveralSvidsSource(X509Context context, X509Svid? chosen = null) : IX509Source
    {
        public X509Context? Current => context;

        public X509Svid? GetX509Svid() => chosen ?? context.Svids[0];

        public X509Bundle? GetX509Bundle(TrustDomain trustDomain) => context.Bundles.GetX509Bundle(trustDomain);

        public IChangeToken GetChangeToken() => new CancellationChangeToken(CancellationToken.None);
    }
}
