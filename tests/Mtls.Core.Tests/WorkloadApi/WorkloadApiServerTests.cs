using Mtls.Testing.Certificates;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;

namespace Mtls.Core.Tests.WorkloadApi;

public sealed class WorkloadApiServerTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mtls-wl-test-");

    [Fact]
    public async Task Scheduled_rotation_pushes_new_svids_to_the_source()
    {
        await using var agent = new WorkloadApiServer(new WorkloadApiServerOptions { RotationInterval = TimeSpan.FromMilliseconds(100) });
        agent.AddTrustDomain(_ca);
        agent.SetIdentities("spiffe://example.org/web");
        await agent.StartAsync();
        await using var source = await WorkloadApiX509Source.CreateAsync(new WorkloadApiX509SourceOptions { Address = agent.Address });
        var seen = new HashSet<string> { source.GetX509Svid()!.Certificate.SerialNumber };

        await SourceSignals.WaitUntilAsync(source, c => seen.Add(c.DefaultSvid!.Certificate.SerialNumber) && seen.Count >= 3);

        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public async Task Start_replaces_a_stale_socket_file_left_at_the_path()
    {
        string path = Path.Combine(_directory.FullName, "agent.sock");
        await File.WriteAllTextAsync(path, "stale");
        await using var agent = new WorkloadApiServer(new WorkloadApiServerOptions { SocketPath = path });
        agent.AddTrustDomain(_ca);
        agent.SetIdentities("spiffe://example.org/web");

        await agent.StartAsync();
        using var client = new WorkloadApiClient(new WorkloadApiClientOptions { Address = "unix:" + path });
        var context = await client.FetchX509ContextAsync();

        Assert.Equal("spiffe://example.org/web", context.DefaultSvid!.Id.ToString());
        context.Release();
    }

    [Fact]
    public async Task Stop_removes_the_socket_file()
    {
        string path = Path.Combine(_directory.FullName, "agent.sock");
        await using var agent = new WorkloadApiServer(new WorkloadApiServerOptions { SocketPath = path });
        await agent.StartAsync();
        Assert.True(File.Exists(path));

        await agent.StopAsync();

        Assert.False(File.Exists(path));
        Assert.False(agent.IsRunning);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _directory.Delete(recursive: true);
    }
}
