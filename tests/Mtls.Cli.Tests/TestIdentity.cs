using Mtls.Testing.Certificates;
using Mtls.Testing.Jwt;
using Mtls.Testing.WorkloadApi;

namespace Mtls.Cli.Tests;

/// <summary>A trust domain example.org with a CA and a JWT issuer, an agent serving <see cref="WorkloadId"/>, and a scratch directory.</summary>
public sealed class TestIdentity : IAsyncDisposable
{
    public const string WorkloadId = "spiffe://example.org/web";

    private TestIdentity(WorkloadApiServer agent, string directory)
    {
        Agent = agent;
        Directory = directory;
    }

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("example.org");

    public TestCertificateAuthority Other { get; } = TestCertificateAuthority.Create("other.org");

    public TestJwtIssuer Jwt { get; } = TestJwtIssuer.Create("example.org");

    public WorkloadApiServer Agent { get; }

    /// <summary>A fresh temporary directory, removed on dispose.</summary>
    public string Directory { get; }

    public string Socket => Agent.Address;

    public static async Task<TestIdentity> StartAsync(WorkloadApiServerOptions? options = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), "mtls-cli-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var identity = new TestIdentity(new WorkloadApiServer(options), directory);
        identity.Agent.AddTrustDomain(identity.Ca);
        identity.Agent.AddJwtIssuer(identity.Jwt);
        identity.Agent.SetIdentities(WorkloadId);
        await identity.Agent.StartAsync();
        return identity;
    }

    /// <summary>Writes an SVID issued for <paramref name="id"/> and the CA's root as csi-driver-spiffe does (tls.crt, tls.key, ca.crt) into a new subdirectory.</summary>
    public string WriteFiles(string id, SvidSpec? spec = null, TestCertificateAuthority? ca = null)
    {
        var issued = (ca ?? Ca).Issue(id, spec);
        string directory = Path.Combine(Directory, "files-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "tls.crt"), issued.CertificatesPem);
        File.WriteAllText(Path.Combine(directory, "tls.key"), issued.PrivateKeyPem);
        File.WriteAllText(Path.Combine(directory, "ca.crt"), (ca ?? Ca).Root.ExportCertificatePem() + "\n");
        return directory;
    }

    /// <summary>Writes <paramref name="content"/> to a new file in the scratch directory.</summary>
    public string WriteFile(string name, string content)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        Ca.Dispose();
        Other.Dispose();
        Jwt.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
