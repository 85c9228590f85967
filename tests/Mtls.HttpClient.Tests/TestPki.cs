using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.X509;

namespace Mtls.Http.Tests;

/// <summary>
/// The trust domains of a test: example.org (client and servers) and other.org (trusted by nobody on the client
/// side). Owns the SVIDs it issues.
/// </summary>
public sealed class TestPki : IDisposable
{
    public const string ClientId = "spiffe://example.org/web";
    public const string OrdersId = "spiffe://example.org/orders";
    public const string BillingId = "spiffe://example.org/billing";

    private readonly List<IDisposable> _owned = [];

    public TestPki()
    {
        Ca = TestCertificateAuthority.Create("example.org");
        Other = TestCertificateAuthority.Create("other.org");
        Bundles = new X509BundleSet([Ca.CreateBundle()]);
    }

    /// <summary>The CA of example.org.</summary>
    public TestCertificateAuthority Ca { get; }

    /// <summary>The CA of other.org, whose bundle the client does not hold.</summary>
    public TestCertificateAuthority Other { get; }

    /// <summary>The client's (and the servers' client-trust) bundles: example.org only.</summary>
    public X509BundleSet Bundles { get; }

    /// <summary>Issues an SVID from example.org's CA.</summary>
    public X509Svid Issue(string id) => Own(Ca.IssueSvid(id));

    /// <summary>Issues an SVID from other.org's CA (any ID, also one claiming example.org).</summary>
    public X509Svid IssueFromOther(string id) => Own(Other.IssueSvid(id));

    /// <summary>A source holding a fresh client SVID and <see cref="Bundles"/>.</summary>
    public InMemoryX509Source ClientSource(string id = ClientId) => Own(new InMemoryX509Source(Issue(id), Bundles));

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Ca.Dispose();
        Other.Dispose();
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
