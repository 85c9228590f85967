using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.X509;

namespace Mtls.DataStores.Tests;

/// <summary>
/// The identities of a data-store test: example.org's CA (server and clients), the server's SVID, and a rogue CA that
/// also claims example.org but whose root no server trusts. Owns everything it issues.
/// </summary>
public sealed class DataStorePki : IDisposable
{
    public const string ServerId = "spiffe://example.org/db";
    public const string ClientId = "spiffe://example.org/ns/shop/sa/orders";

    private readonly List<IDisposable> _owned = [];

    public DataStorePki()
    {
        Ca = TestCertificateAuthority.Create("example.org");
        Rogue = TestCertificateAuthority.Create("example.org");
        Bundles = new X509BundleSet([Ca.CreateBundle()]);
        Server = Ca.Issue(ServerId);
    }

    /// <summary>example.org's CA: its root is the bundle both sides trust.</summary>
    public TestCertificateAuthority Ca { get; }

    /// <summary>A second CA for example.org whose root nobody trusts.</summary>
    public TestCertificateAuthority Rogue { get; }

    /// <summary>example.org's bundle (the servers' client CA file and the clients' trust).</summary>
    public X509BundleSet Bundles { get; }

    /// <summary>The SVID the data store presents.</summary>
    public IssuedSvid Server { get; }

    /// <summary>A client SVID for <see cref="ClientId"/> issued by <paramref name="ca"/> (default: example.org's), with a Subject CN when given.</summary>
    public X509Svid IssueClient(string? commonName = null, TestCertificateAuthority? ca = null) =>
        Own((ca ?? Ca).Issue(ClientId, new SvidSpec { Subject = commonName is null ? "O=SPIFFE" : $"CN={commonName}, O=SPIFFE" }).ToX509Svid());

    /// <summary>A source holding <paramref name="svid"/> and <see cref="Bundles"/>.</summary>
    public InMemoryX509Source Source(X509Svid svid) => Own(new InMemoryX509Source(svid, Bundles));

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Rogue.Dispose();
        Ca.Dispose();
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
