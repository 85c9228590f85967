using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Mtls.Bundles;
using Mtls.Core.Tests.WorkloadApi;
using Mtls.Files;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;

namespace Mtls.Core.Tests.Files;

/// <summary>JWT bundles from files (SPIFFE bundle or JWKS), reloaded on change, bounded in size, all or nothing per file.</summary>
public sealed partial class FileJwtBundleSourceTests : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-jwt-files-").FullName;
    private readonly TestJwtIssuer _issuer = TestJwtIssuer.Create("example.org");
    private readonly TestJwtIssuer _partner = TestJwtIssuer.Create("partner.example");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly RecordingLogger _logs = new();

    [Fact]
    public void Loads_a_spiffe_bundle_and_a_plain_jwks_one_file_per_trust_domain()
    {
        using var ca = TestCertificateAuthority.Create("example.org");
        var x509 = ca.CreateBundle();
        Write("example.json", SpiffeBundle.FromBundles(x509, _issuer.Bundle, sequenceNumber: 7).ToJson());
        Write("partner.json", WithoutUse().Replace(_partner.ToJwks(), string.Empty));

        using var source = Create(("example.org", "example.json"), ("partner.example", "partner.json"));
        var validator = new JwtSvidValidator(source);

        Assert.Null(source.LastError);
        Assert.Equal("spiffe://example.org/web", validator.Validate(_issuer.IssueToken("spiffe://example.org/web", "api"), "api").Id.ToString());
        Assert.Equal("spiffe://partner.example/web", validator.Validate(_partner.IssueToken("spiffe://partner.example/web", "api"), "api").Id.ToString());
        Assert.Null(source.GetJwtBundle(TrustDomain.Parse("other.org")));
    }

    [Fact]
    public async Task Rewritten_file_is_reloaded_and_fires_the_change_token()
    {
        Write("bundle.json", _issuer.ToJwks());
        using var source = Create(("example.org", "bundle.json"));
        var changed = new TaskCompletionSource();
        using var registration = source.GetChangeToken().RegisterChangeCallback(_ => changed.TrySetResult(), null);

        _issuer.RotateKey();
        Write("bundle.json", _issuer.ToJwks());
        _time.Advance(Poll);

        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(source.GetJwtBundle(_issuer.TrustDomain)!.TryGetAuthority(_issuer.KeyId, out _));
    }

    [Fact]
    public void Broken_file_keeps_the_last_good_bundle_and_is_reported_once()
    {
        Write("bundle.json", _issuer.ToJwks());
        using var source = Create(("example.org", "bundle.json"));
        var good = source.GetJwtBundle(_issuer.TrustDomain);

        Write("bundle.json", """{"keys": [{"kty": "EC", "use": "jwt-svid", "kid": "k", "crv": "P-256", "x": "!!", "y": "!!"}]}""");
        _time.Advance(Poll);
        _time.Advance(Poll);

        Assert.Same(good, source.GetJwtBundle(_issuer.TrustDomain));
        Assert.Contains("bundle.json", source.LastError, StringComparison.Ordinal);
        Assert.Single(_logs.Entries, e => e.EventName == "Rejected");
    }

    [Fact]
    public void File_over_the_size_limit_is_refused_naming_the_limit()
    {
        string json = _issuer.ToJwks();
        Write("bundle.json", json + new string(' ', SpiffeLimits.MaxJwtBundleFileBytes + 1 - json.Length));

        using var source = Create(("example.org", "bundle.json"));

        Assert.Null(source.GetJwtBundle(_issuer.TrustDomain));
        Assert.Contains(nameof(SpiffeLimits.MaxJwtBundleFileBytes), source.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_file_is_not_ready_until_it_appears()
    {
        using var source = Create(("example.org", "bundle.json"));
        var ready = source.WaitUntilReadyAsync(TimeSpan.FromMinutes(5));

        Assert.False(ready.IsCompleted);
        Assert.Contains("does not exist", source.LastError, StringComparison.Ordinal);
        Write("bundle.json", _issuer.ToJwks());
        _time.Advance(Poll);

        await ready.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(source.GetJwtBundle(_issuer.TrustDomain));
    }

    [Fact]
    public void Options_without_a_bundle_file_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new FileJwtBundleSource(new FileJwtBundleSourceOptions()));

        Assert.Contains("BundleFiles", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _issuer.Dispose();
        _partner.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex("\"use\":\\s*\"jwt-svid\",?")]
    private static partial Regex WithoutUse();

    private FileJwtBundleSource Create(params (string TrustDomain, string File)[] files)
    {
        var options = new FileJwtBundleSourceOptions { PollInterval = Poll };
        foreach (var (trustDomain, file) in files)
        {
            options.BundleFiles[trustDomain] = Path.Combine(_dir, file);
        }

        return new FileJwtBundleSource(options, _logs.Factory.CreateLogger<FileJwtBundleSource>(), _time);
    }

    /// <summary>Replaces the file in one step, as a volume update does.</summary>
    private void Write(string name, string content)
    {
        string temporary = Path.Combine(_dir, name + ".tmp");
        File.WriteAllText(temporary, content);
        File.Move(temporary, Path.Combine(_dir, name), overwrite: true);
    }
}
