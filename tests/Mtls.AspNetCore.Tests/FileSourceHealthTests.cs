using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Mtls.AspNetCore.Health;
using Mtls.Files;
using Mtls.Hosting;
using Mtls.Testing.Certificates;
using Mtls.Testing.Files;

namespace Mtls.AspNetCore.Tests;

/// <summary>Health of a server whose identity comes from csi-driver-spiffe style files.</summary>
public sealed class FileSourceHealthTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestCertificateAuthority _ca;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtls-health-" + Guid.NewGuid().ToString("N"));
    private readonly AtomicDirectoryWriter _writer;
    private readonly FileX509Source _source;
    private readonly ServiceProvider _services;

    public FileSourceHealthTests()
    {
        _ca = TestCertificateAuthority.Create("example.org", time: _time);
        _writer = new AtomicDirectoryWriter(_dir);
        Write(_ca.Issue("spiffe://example.org/server", new SvidSpec { Ttl = TimeSpan.FromHours(1) }));
        _source = new FileX509Source(new FileX509SourceOptions { Directory = _dir, PollInterval = TimeSpan.FromMilliseconds(100) });
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSpiffeX509Source(_source);
        services.AddHealthChecks().AddSpiffeHealthChecks();
        _services = services.BuildServiceProvider();
    }

    [Fact]
    public async Task Files_past_half_their_lifetime_are_healthy_until_the_renewal_point_at_two_thirds()
    {
        _time.Advance(TimeSpan.FromMinutes(35));
        var beforeRenewal = await CheckAsync();
        _time.Advance(TimeSpan.FromMinutes(6));
        var pastRenewal = await CheckAsync();

        Assert.Equal(HealthStatus.Healthy, beforeRenewal.Status);
        Assert.Equal(HealthStatus.Degraded, pastRenewal.Status);
        Assert.Contains("past its rotation point", pastRenewal.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_that_do_not_form_an_svid_are_degraded_while_the_last_good_one_is_served()
    {
        var next = _ca.Issue("spiffe://example.org/server");
        var other = _ca.Issue("spiffe://example.org/server");
        _writer.Write(new Dictionary<string, string>
        {
            ["tls.crt"] = next.CertificatesPem,
            ["tls.key"] = other.PrivateKeyPem,
            ["ca.crt"] = _ca.Root.ExportCertificatePem(),
        });
        Assert.True(SpinWait.SpinUntil(() => _source.LastError is not null, TimeSpan.FromSeconds(10)));

        var entry = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains(_source.Directory, entry.Description, StringComparison.Ordinal);
        Assert.Contains("does not match", entry.Description, StringComparison.Ordinal);
        Assert.NotNull(_source.GetX509Svid());
    }

    public void Dispose()
    {
        _services.Dispose();
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Write(IssuedSvid svid) => _writer.Write(new Dictionary<string, string>
    {
        ["tls.crt"] = svid.CertificatesPem,
        ["tls.key"] = svid.PrivateKeyPem,
        ["ca.crt"] = _ca.Root.ExportCertificatePem(),
    });

    private async Task<HealthReportEntry> CheckAsync() =>
        (await _services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["spiffe"];
}
