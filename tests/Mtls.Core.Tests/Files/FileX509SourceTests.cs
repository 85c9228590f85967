using Microsoft.Extensions.Primitives;
using Mtls.Files;
using Mtls.Testing.Certificates;
using Mtls.Testing.Files;

namespace Mtls.Core.Tests.Files;

public sealed partial class FileX509SourceTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("cluster.local");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtls-files-" + Guid.NewGuid().ToString("N"));
    private readonly AtomicDirectoryWriter _writer;

    public FileX509SourceTests() => _writer = new AtomicDirectoryWriter(_dir);

    [Fact]
    public void Loads_svid_and_bundle_from_csi_driver_layout()
    {
        var issued = WriteSvid("spiffe://cluster.local/ns/default/sa/web");

        using var source = Create();

        Assert.Equal("spiffe://cluster.local/ns/default/sa/web", source.GetX509Svid()?.Id.ToString());
        Assert.Equal(Serial(issued), source.GetX509Svid()!.Certificate.SerialNumber);
        Assert.NotNull(source.GetX509Bundle(_ca.TrustDomain));
        Assert.Null(source.LastError);
    }

    [Fact]
    public void Loads_spiffe_helper_file_names()
    {
        var issued = _ca.Issue("spiffe://cluster.local/helper");
        _writer.Write(new Dictionary<string, string>
        {
            ["svid.pem"] = issued.CertificatesPem,
            ["svid_key.pem"] = issued.PrivateKeyPem,
            ["svid_bundle.pem"] = _ca.Root.ExportCertificatePem(),
        });

        using var source = new FileX509Source(new FileX509SourceOptions { Directory = _dir }.UseSpiffeHelperNames());

        Assert.Equal("spiffe://cluster.local/helper", source.GetX509Svid()?.Id.ToString());
    }

    [Fact]
    public async Task Rotation_by_data_symlink_swap_is_picked_up_within_one_second()
    {
        WriteSvid("spiffe://cluster.local/ns/default/sa/web");
        using var source = Create(poll: TimeSpan.FromMilliseconds(250));
        var changed = Changed(source);

        var rotated = WriteSvid("spiffe://cluster.local/ns/default/sa/web");

        await changed.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(Serial(rotated), source.GetX509Svid()!.Certificate.SerialNumber);
    }

    [Fact]
    public void Half_written_certificate_keeps_the_last_good_svid()
    {
        var good = WriteSvid("spiffe://cluster.local/web");
        using var source = Create(poll: TimeSpan.FromMilliseconds(100));
        var next = _ca.Issue("spiffe://cluster.local/web");

        // Not atomic on purpose: a writer that truncates then writes, caught half way.
        string pem = next.CertificatesPem;
        File.WriteAllText(Path.Combine(_dir, "..data", "tls.crt"), pem[..(pem.Length / 2)]);

        Assert.True(SpinWait.SpinUntil(() => source.LastError is not null, Wait));
        Assert.Equal(Serial(good), source.GetX509Svid()!.Certificate.SerialNumber);
    }

    [Fact]
    public void Key_from_another_rotation_keeps_the_last_good_svid()
    {
        var good = WriteSvid("spiffe://cluster.local/web");
        using var source = Create(poll: TimeSpan.FromMilliseconds(100));
        var newCertificate = _ca.Issue("spiffe://cluster.local/web");

        _writer.Write(Files(newCertificate.CertificatesPem, good.PrivateKeyPem));

        Assert.True(SpinWait.SpinUntil(() => source.LastError is not null, Wait));
        Assert.Contains("does not match", source.LastError, StringComparison.Ordinal);
        Assert.Equal(Serial(good), source.GetX509Svid()!.Certificate.SerialNumber);
    }

    [Fact]
    public void Certificate_from_a_ca_missing_from_the_bundle_keeps_the_last_good_svid()
    {
        var good = WriteSvid("spiffe://cluster.local/web");
        using var source = Create(poll: TimeSpan.FromMilliseconds(100));
        using var otherCa = TestCertificateAuthority.Create("cluster.local");
        var foreign = otherCa.Issue("spiffe://cluster.local/web");

        _writer.Write(Files(foreign.CertificatesPem, foreign.PrivateKeyPem));

        Assert.True(SpinWait.SpinUntil(() => source.LastError is not null, Wait));
        Assert.Equal(Serial(good), source.GetX509Svid()!.Certificate.SerialNumber);
    }

    [Fact]
    public async Task Deleted_directory_then_restored_keeps_then_replaces_the_svid()
    {
        var good = WriteSvid("spiffe://cluster.local/web");
        using var source = Create(poll: TimeSpan.FromMilliseconds(100));

        Directory.Delete(_dir, recursive: true);
        Assert.True(SpinWait.SpinUntil(() => source.LastError is not null, Wait));
        Assert.Equal(Serial(good), source.GetX509Svid()!.Certificate.SerialNumber);

        var changed = Changed(source);
        var restored = WriteSvid("spiffe://cluster.local/web");
        await changed.WaitAsync(Wait);
        Assert.Equal(Serial(restored), source.GetX509Svid()!.Certificate.SerialNumber);
    }

    [Fact]
    public async Task Waiting_for_an_empty_directory_times_out_naming_the_directory()
    {
        Directory.CreateDirectory(_dir);
        using var source = Create();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => source.WaitUntilReadyAsync(TimeSpan.FromMilliseconds(200)));

        Assert.Contains(_dir, error.Message, StringComparison.Ordinal);
        Assert.Null(source.GetX509Svid());
    }

    [Fact]
    public void Options_without_directory_are_rejected_naming_the_option()
    {
        var error = Assert.Throws<ArgumentException>(() => new FileX509Source(new FileX509SourceOptions()));

        Assert.Contains("Directory", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _ca.Dispose();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static Task Changed(FileX509Source source)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.GetChangeToken().RegisterChangeCallback(_ => fired.TrySetResult(), null);
        return fired.Task;
    }

    private static string Serial(IssuedSvid issued)
    {
        using var leaf = issued.LoadLeaf();
        return leaf.SerialNumber;
    }

    private FileX509Source Create(TimeSpan? poll = null) =>
        new(new FileX509SourceOptions { Directory = _dir, PollInterval = poll ?? TimeSpan.FromSeconds(1) });

    private IssuedSvid WriteSvid(string id)
    {
        var issued = _ca.Issue(id);
        _writer.Write(Files(issued.CertificatesPem, issued.PrivateKeyPem));
        return issued;
    }

    private Dictionary<string, string> Files(string certificates, string key) => new()
    {
        ["tls.crt"] = certificates,
        ["tls.key"] = key,
        ["ca.crt"] = _ca.Root.ExportCertificatePem(),
    };
}
