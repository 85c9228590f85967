using Mtls.Testing.Certificates;

namespace Mtls.LoadTest.Servers;

/// <summary>
/// The SVIDs every scenario uses, written as PEM files for the processes that read files (nginx, the server
/// child): one trust domain, a server and a client SVID through one intermediate, EC P-256.
/// </summary>
internal sealed class CertificateFiles
{
    internal const string ServerId = "spiffe://bench.local/server";
    internal const string ClientId = "spiffe://bench.local/client";

    private CertificateFiles(string directory) => Directory = directory;

    internal string Directory { get; }

    internal string ServerChain => Path.Combine(Directory, "server", "tls.crt");

    internal string ServerKey => Path.Combine(Directory, "server", "tls.key");

    internal string ClientChain => Path.Combine(Directory, "client", "tls.crt");

    internal string ClientKey => Path.Combine(Directory, "client", "tls.key");

    internal string Bundle => Path.Combine(Directory, "server", "ca.crt");

    internal string ServerDirectory => Path.Combine(Directory, "server");

    internal string ClientDirectory => Path.Combine(Directory, "client");

    internal static CertificateFiles Write(TestCertificateAuthority ca, string directory)
    {
        var files = new CertificateFiles(directory);
        Write(ca, files.ServerDirectory, ca.Issue(ServerId, new SvidSpec { Ttl = TimeSpan.FromHours(4), DnsNames = ["ingress.local"] }));
        Write(ca, files.ClientDirectory, ca.Issue(ClientId, new SvidSpec { Ttl = TimeSpan.FromHours(4) }));
        return files;
    }

    private static void Write(TestCertificateAuthority ca, string directory, IssuedSvid svid)
    {
        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "tls.crt"), svid.CertificatesPem);
        File.WriteAllText(Path.Combine(directory, "tls.key"), svid.PrivateKeyPem);
        File.WriteAllText(Path.Combine(directory, "ca.crt"), ca.Root.ExportCertificatePem());
    }
}
