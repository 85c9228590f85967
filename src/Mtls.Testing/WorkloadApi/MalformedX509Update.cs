namespace Mtls.Testing.WorkloadApi;

/// <summary>FOR TESTS AND LOCAL DEMOS ONLY. A broken X.509-SVID response <see cref="WorkloadApiServer"/> can push.</summary>
public enum MalformedX509Update
{
    /// <summary>No SVID at all (a mandatory field empty: the client discards it).</summary>
    NoSvids,

    /// <summary>The SVID's bundle field is empty (the client discards it).</summary>
    EmptyBundle,

    /// <summary>The x509_svid field holds bytes that are not a certificate.</summary>
    GarbageCertificate,

    /// <summary>The private key belongs to another certificate.</summary>
    KeyMismatch,

    /// <summary>The SVID is signed by an authority that is not in its trust domain's bundle.</summary>
    SignedByUnknownAuthority,

    /// <summary>The spiffe_id field names another ID than the certificate.</summary>
    SpiffeIdMismatch,

    /// <summary>A federated bundle is keyed by a SPIFFE ID with a path (<c>spiffe://federated.test/path</c>), not a bare trust-domain ID.</summary>
    FederatedBundleKeyWithPath,

    /// <summary>The SVID's bundle holds one CA certificate more than <see cref="SpiffeLimits.MaxBundleAuthorities"/>.</summary>
    OversizedBundle,

    /// <summary>The SVID's chain carries one intermediate more than <see cref="SpiffeLimits.MaxSvidIntermediates"/>.</summary>
    OversizedChain,
}
