using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Testing.Certificates;

namespace Mtls.AspNetCore.Tests.Infrastructure;

/// <summary>Two trust domains, example.org (ours) and other.org, and client certificates issued from them.</summary>
public sealed class TestPki : IDisposable
{
    public const string ServerId = "spiffe://example.org/server";
    public const string ClientId = "spiffe://example.org/client";

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create("example.org");

    public TestCertificateAuthority Other { get; } = TestCertificateAuthority.Create("other.org");

    public X509BundleSet Bundles(bool withOther = false) =>
        withOther ? new X509BundleSet([Ca.CreateBundle(), Other.CreateBundle()]) : new X509BundleSet([Ca.CreateBundle()]);

    /// <summary>A client certificate (with key) and intermediates from raw material, valid or deliberately broken.</summary>
    public static ClientCertificate ToClientCertificate(IssuedSvid issued)
    {
        using var leaf = issued.LoadLeaf();
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(issued.PrivateKeyPkcs8, out _);
        using var withKey = leaf.CopyWithPrivateKey(key);
        // A PKCS#12 round trip gives a key every platform's TLS stack accepts.
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new ClientCertificate(certificate, issued.LoadIntermediates());
    }

    public void Dispose()
    {
        Ca.Dispose();
        Other.Dispose();
    }
}

public sealed record ClientCertificate(X509Certificate2 Certificate, X509Certificate2Collection Intermediates);
