using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mtls.X509;

namespace Mtls.Tls;

/// <summary>
/// The certificate context a TLS side presents for an SVID, built once per snapshot. It holds its own copies of the
/// certificates: a connection keeps its context for as long as it lives (an HTTP/2 connection can outlive many
/// rotations, and <c>SslStream.LocalCertificate</c> stays readable) and must not depend on the source, which disposes
/// its current snapshot's certificates when it is itself disposed. The copies share the native certificate and key, and
/// are released by the garbage collector once no connection refers to them.
/// </summary>
internal static class TlsCertificateContext
{
    internal static SslStreamCertificateContext Create(X509Svid svid)
    {
        var leaf = new X509Certificate2(svid.Certificate);
        var intermediates = new X509Certificate2Collection();
        foreach (var intermediate in svid.Intermediates)
        {
            intermediates.Add(X509CertificateLoader.LoadCertificate(intermediate.RawDataMemory.Span));
        }

        // offline: no AIA download or OCSP fetch while building the chain of our own certificate.
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }
}
