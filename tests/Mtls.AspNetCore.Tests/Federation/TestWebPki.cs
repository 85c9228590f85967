using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.AspNetCore.Tests.Federation;

/// <summary>
/// A stand-in for the Web PKI: a root and a server certificate for 127.0.0.1 and localhost. Clients trust the root
/// explicitly (a PEM file for <c>WebRootsFile</c>, or curl's <c>--cacert</c>), never through the system's store.
/// </summary>
public sealed class TestWebPki : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mtls-webpki-");

    public TestWebPki()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Test Web Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = request.Create(Root, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(key);

        // A PKCS#12 round trip gives a key every platform's TLS stack accepts.
        ServerCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        RootFile = Path.Combine(_directory.FullName, "web-root.pem");
        File.WriteAllText(RootFile, Root.ExportCertificatePem());
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The root as a PEM file (public material only).</summary>
    public string RootFile { get; }

    /// <summary>A file in this PKI's temporary directory.</summary>
    public string FilePath(string name) => Path.Combine(_directory.FullName, name);

    public void Dispose()
    {
        Root.Dispose();
        ServerCertificate.Dispose();
        _directory.Delete(recursive: true);
    }
}
