using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Files;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Testing.Files;

namespace Mtls.AspNetCore.Tests;

/// <summary>The server takes its identity from files written the way csi-driver-spiffe and Kubernetes write them.</summary>
public sealed class FilesSourceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestPki _pki = new();
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("mtls-files-");
    private readonly AtomicDirectoryWriter _volume;

    public FilesSourceTests() => _volume = new AtomicDirectoryWriter(Path.Combine(_root.FullName, "spiffe.io"));

    [Fact]
    public async Task Serves_the_svid_from_files_and_the_next_connection_sees_a_data_symlink_swap()
    {
        var first = WriteSvid();
        await using var server = await MtlsTestServer.StartAsync(
            source: null,
            configuration: new Dictionary<string, string?>
            {
                ["Spiffe:Source"] = "Files",
                ["Spiffe:Files:Directory"] = _volume.Directory,
                ["Spiffe:Files:PollInterval"] = "00:00:00.250",
            });
        Assert.IsType<FileX509Source>(server.Services.GetRequiredService<IX509Source>());
        using var before = new TestClient(server.BaseAddress, Client(), _pki.Bundles());
        Assert.Equal(TestPki.ClientId, await before.Http.GetStringAsync("/api/hello"));
        int served = server.Logs.WithEvent("ServerServingSvid").Count;

        var rotated = WriteSvid();
        await server.Logs.WaitUntilAsync(entries => entries.Count(e => e.EventName == "ServerServingSvid") > served, Timeout);
        using var after = new TestClient(server.BaseAddress, Client(), _pki.Bundles());
        Assert.Equal(TestPki.ClientId, await after.Http.GetStringAsync("/api/hello"));

        Assert.Equal([Serial(first)], before.ServerSerials);
        Assert.Equal([Serial(rotated)], after.ServerSerials);
    }

    [Fact]
    public async Task UseFiles_reads_spiffe_helper_names_and_a_bundle_mounted_elsewhere()
    {
        var issued = _pki.Ca.Issue(TestPki.ServerId);
        _volume.Write(new Dictionary<string, string> { ["svid.pem"] = issued.CertificatesPem, ["svid_key.pem"] = issued.PrivateKeyPem });
        // A trust-manager bundle comes from a ConfigMap volume of its own, hence an absolute path.
        string bundle = Path.Combine(_root.FullName, "bundle.pem");
        File.WriteAllText(bundle, _pki.Ca.Root.ExportCertificatePem());

        await using var server = await MtlsTestServer.StartAsync(
            source: null,
            configureSource: o => o.UseFiles(_volume.Directory, f => f.UseSpiffeHelperNames().BundleFileName = bundle));
        using var client = new TestClient(server.BaseAddress, Client(), _pki.Bundles());

        Assert.Equal(TestPki.ClientId, await client.Http.GetStringAsync("/api/hello"));
        Assert.Equal([Serial(issued)], client.ServerSerials);
    }

    [Fact]
    public async Task Files_source_without_a_directory_fails_startup_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            MtlsTestServer.StartAsync(source: null, configuration: new Dictionary<string, string?> { ["Spiffe:Source"] = "Files" }));

        Assert.StartsWith("Spiffe:Files:Directory is required when Spiffe:Source is Files", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_poll_interval_fails_startup_naming_the_key()
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Spiffe:Source"] = "Files",
            ["Spiffe:Files:Directory"] = _volume.Directory,
            ["Spiffe:Files:PollInterval"] = "00:00:00",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => MtlsTestServer.StartAsync(source: null, configuration: configuration));

        Assert.StartsWith("Spiffe:Files:PollInterval: FileX509SourceOptions.PollInterval must be between 0 and 10 minutes", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_fails_naming_the_directory_when_no_valid_svid_appears_in_time()
    {
        var issued = _pki.Ca.Issue(TestPki.ServerId);
        // A key from another issuance: the pair does not match, so the files are never a valid SVID.
        _volume.Write(new Dictionary<string, string>
        {
            ["tls.crt"] = issued.CertificatesPem,
            ["tls.key"] = _pki.Ca.Issue(TestPki.ServerId).PrivateKeyPem,
            ["ca.crt"] = _pki.Ca.Root.ExportCertificatePem(),
        });

        var error = await Assert.ThrowsAsync<TimeoutException>(() => MtlsTestServer.StartAsync(
            source: null,
            configureSource: o => o.UseFiles(_volume.Directory),
            configuration: new Dictionary<string, string?> { ["Spiffe:StartupTimeout"] = "00:00:00.300" }));

        Assert.StartsWith($"no valid X509-SVID in {_volume.Directory} after 0.3 s", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _pki.Dispose();
        _root.Delete(recursive: true);
    }

    private static string Serial(IssuedSvid issued)
    {
        using var leaf = issued.LoadLeaf();
        return leaf.SerialNumber;
    }

    private IssuedSvid WriteSvid()
    {
        var issued = _pki.Ca.Issue(TestPki.ServerId);
        _volume.Write(new Dictionary<string, string>
        {
            ["tls.crt"] = issued.CertificatesPem,
            ["tls.key"] = issued.PrivateKeyPem,
            ["ca.crt"] = _pki.Ca.Root.ExportCertificatePem(),
        });
        return issued;
    }

    private ClientCertificate Client() => TestPki.ToClientCertificate(_pki.Ca.Issue(TestPki.ClientId));
}
