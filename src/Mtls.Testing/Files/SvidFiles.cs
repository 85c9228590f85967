using Mtls.Bundles;
using Mtls.Testing.Certificates;

namespace Mtls.Testing.Files;

/// <summary>
/// FOR TESTS ONLY (it writes a private key to disk, which the library never does). A temporary directory holding what an external TLS server needs, written the way cert-manager or
/// spiffe-helper would: the server's leaf, its intermediates, its key (owner-only) and the client CA bundle.
/// Deleted on dispose.
/// </summary>
public sealed class SvidFiles : IDisposable
{
    /// <summary>Writes <paramref name="server"/>'s chain and key and <paramref name="clientTrust"/> to a new temporary directory.</summary>
    /// <param name="server">The SVID the external server presents.</param>
    /// <param name="clientTrust">The CAs the external server verifies client certificates against.</param>
    public SvidFiles(IssuedSvid server, X509Bundle clientTrust)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mtls-interop-").FullName;
        File.WriteAllText(LeafPath, System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE", server.ChainDer[0]) + "\n");
        File.WriteAllText(ChainPath, server.CertificatesPem);
        File.WriteAllText(IntermediatesPath, string.Concat(server.ChainDer.Skip(1).Select(c => System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE", c) + "\n")));
        File.WriteAllText(KeyPath, server.PrivateKeyPem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(ClientCaPath, clientTrust.ToPem());
    }

    /// <summary>The temporary directory.</summary>
    public string Directory { get; }

    /// <summary>The server's leaf alone.</summary>
    public string LeafPath => Path.Combine(Directory, "server-leaf.pem");

    /// <summary>Leaf followed by intermediates (cert-manager's <c>tls.crt</c>).</summary>
    public string ChainPath => Path.Combine(Directory, "tls.crt");

    /// <summary>The intermediates alone.</summary>
    public string IntermediatesPath => Path.Combine(Directory, "intermediates.pem");

    /// <summary>The server's private key (cert-manager's <c>tls.key</c>).</summary>
    public string KeyPath => Path.Combine(Directory, "tls.key");

    /// <summary>The bundle client certificates are verified against (cert-manager's <c>ca.crt</c>).</summary>
    public string ClientCaPath => Path.Combine(Directory, "ca.crt");

    /// <summary>Deletes the directory and everything in it.</summary>
    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
