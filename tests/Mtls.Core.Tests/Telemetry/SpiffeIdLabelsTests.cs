using Mtls.Identity;
using Mtls.Telemetry;
using Mtls.Testing.Certificates;

namespace Mtls.Core.Tests.Telemetry;

public sealed class SpiffeIdLabelsTests
{
    private static readonly SpiffeId Web = SpiffeId.Parse("spiffe://example.org/ns/shop/sa/web");

    [Fact]
    public void Reports_the_full_id_by_default()
    {
        Assert.Equal("spiffe://example.org/ns/shop/sa/web", SpiffeIdLabels.Default.Label(Web));
    }

    [Fact]
    public void Reports_only_the_trust_domain_when_configured()
    {
        var labels = new SpiffeIdLabels(new SpiffeTelemetryOptions { RequestIdentities = SpiffeIdDetail.TrustDomain });

        Assert.Equal("spiffe://example.org", labels.Label(Web));
    }

    [Fact]
    public void Reports_the_first_matching_pattern_before_the_detail()
    {
        var options = new SpiffeTelemetryOptions { RequestIdentities = SpiffeIdDetail.TrustDomain };
        options.IdPatterns.Add("spiffe://example.org/ns/jobs/**");
        options.IdPatterns.Add("spiffe://example.org/ns/*/sa/web");
        options.IdPatterns.Add("spiffe://example.org/**");
        var labels = new SpiffeIdLabels(options);

        Assert.Equal("spiffe://example.org/ns/*/sa/web", labels.Label(Web));
        Assert.Equal("spiffe://example.org/**", labels.Label(SpiffeId.Parse("spiffe://example.org/billing")));
        Assert.Equal("spiffe://other.org", labels.Label(SpiffeId.Parse("spiffe://other.org/web")));
    }

    [Fact]
    public void Reports_nothing_when_identities_are_off()
    {
        var labels = new SpiffeIdLabels(new SpiffeTelemetryOptions { RequestIdentities = SpiffeIdDetail.None });

        Assert.False(labels.Enabled);
        Assert.Null(labels.Label(Web));
    }

    [Fact]
    public void Reads_our_own_id_from_the_certificate_we_presented()
    {
        using var ca = TestCertificateAuthority.Create("example.org");
        using var svid = ca.IssueSvid("spiffe://example.org/ns/shop/sa/web");

        Assert.Equal(Web, SpiffeIdLabels.Default.LocalId(svid.Certificate));
        Assert.Null(SpiffeIdLabels.Default.LocalId(null));
    }

    [Fact]
    public void Invalid_or_too_many_patterns_fail_validation_naming_the_key()
    {
        var options = new SpiffeTelemetryOptions();
        options.IdPatterns.Add("https://example.org/web");
        var validator = new SpiffeTelemetryOptionsValidator();

        var invalid = validator.Validate(null, options);
        for (int i = 0; i < SpiffeTelemetryOptions.MaxIdPatterns; i++)
        {
            options.IdPatterns.Add("spiffe://example.org/*");
        }

        var tooMany = validator.Validate(null, options);

        Assert.Contains("Spiffe:Telemetry:IdPatterns:0", invalid.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("MaxIdPatterns", tooMany.FailureMessage, StringComparison.Ordinal);
    }
}
