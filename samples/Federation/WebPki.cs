using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Federation;

/// <summary>
/// DEMO ONLY: a stand-in for the Web PKI (a root and a certificate for 127.0.0.1). The fetching side trusts this root
/// explicitly through <c>WebRootsFile</c>; in production an https_web endpoint has a public or corporate certificate.
/// </summary>
internal sealed class WebPki : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mtls-federation-demo-");

    public WebPki()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Demo Web Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = request.Create(root, now.AddDays(-1), now.AddDays(7), RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(key);
        ServerCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        RootFile = Path.Combine(_directory.FullName, "web-root.pem");
        File.WriteAllText(RootFile, root.ExportCertificatePem());
    }

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The root as PEM (public material only).</summary>
    public string RootFile { get; }

    /// <summary>A file in the demo's temporary directory.</summary>
    public string FilePath(string name) => Path.Combine(_directory.FullName, name);

    public void Dispose()
    {
        ServerCertificate.Dispose();
        _directory.Delete(recursive: true);
    }
}
