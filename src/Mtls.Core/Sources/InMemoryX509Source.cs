using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Sources;

/// <summary>
/// An <see cref="IX509Source"/> whose identity and bundles the caller sets, e.g. static certificates, or tests.
/// The caller keeps ownership of what it passes in: the source never disposes it.
/// </summary>
public sealed class InMemoryX509Source : IX509Source, IX509SelectionSource, IDisposable
{
    private readonly X509ContextStore _store = new(ownsSnapshots: false);

    /// <summary>Creates an empty source; call <see cref="Update"/> to give it an identity.</summary>
    public InMemoryX509Source()
    {
    }

    /// <summary>Creates a source holding <paramref name="svid"/> and <paramref name="bundles"/>.</summary>
    public InMemoryX509Source(X509Svid? svid, X509BundleSet bundles) => Update(svid, bundles);

    /// <inheritdoc />
    public X509Context? Current => _store.Current;

    /// <summary>Replaces the identity and bundles and fires the change token.</summary>
    public void Update(X509Svid? svid, X509BundleSet bundles) =>
        _store.Publish(new X509Context(svid is null ? [] : [svid], bundles));

    /// <inheritdoc />
    X509Selection? IX509SelectionSource.Selection => _store.Selection;

    /// <inheritdoc />
    public X509Svid? GetX509Svid() => _store.Svid;

    /// <inheritdoc />
    public X509Bundle? GetX509Bundle(TrustDomain trustDomain) => _store.GetBundle(trustDomain);

    /// <inheritdoc />
    public IChangeToken GetChangeToken() => _store.GetChangeToken();

    /// <inheritdoc />
    public void Dispose() => _store.Dispose();
}
