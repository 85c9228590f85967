using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Mtls.AspNetCore.Health;
using Mtls.Hosting;
using Mtls.Sources;
using Mtls.Testing.Certificates;

namespace Mtls.AspNetCore.Tests;

public sealed class HealthCheckTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestCertificateAuthority _ca;
    private readonly InMemoryX509Source _source = new();
    private readonly ServiceProvider _services;

    public HealthCheckTests()
    {
        _ca = TestCertificateAuthority.Create("example.org", time: _time);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSpiffeX509Source(_source);
        services.AddHealthChecks().AddSpiffeHealthChecks();
        _services = services.BuildServiceProvider();
    }

    [Fact]
    public async Task Unhealthy_without_an_svid()
    {
        var entry = await CheckAsync();

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("no X509-SVID", entry.Description);
    }

    [Fact]
    public async Task Healthy_with_a_fresh_svid()
    {
        using var svid = _ca.IssueSvid("spiffe://example.org/server", TimeSpan.FromHours(1));
        _source.Update(svid, new([_ca.CreateBundle()]));

        var entry = await CheckAsync();

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("spiffe://example.org/server", entry.Data["spiffe_id"]);
    }

    [Fact]
    public async Task Degraded_past_the_rotation_point_and_healthy_again_once_rotated()
    {
        using var svid = _ca.IssueSvid("spiffe://example.org/server", TimeSpan.FromHours(1));
        _source.Update(svid, new([_ca.CreateBundle()]));
        _time.Advance(TimeSpan.FromMinutes(35));

        var stale = await CheckAsync();
        using var rotated = _ca.IssueSvid("spiffe://example.org/server", TimeSpan.FromHours(1));
        _source.Update(rotated, new([_ca.CreateBundle()]));
        var fresh = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Contains("past its rotation point", stale.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, fresh.Status);
    }

    [Fact]
    public async Task Unhealthy_once_the_svid_has_expired()
    {
        using var svid = _ca.IssueSvid("spiffe://example.org/server", TimeSpan.FromHours(1));
        _source.Update(svid, new([_ca.CreateBundle()]));
        _time.Advance(TimeSpan.FromMinutes(61));

        var entry = await CheckAsync();

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("expired", entry.Description, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _services.Dispose();
        _source.Dispose();
        _ca.Dispose();
    }

    private async Task<HealthReportEntry> CheckAsync() =>
        (await _services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["spiffe"];
}
