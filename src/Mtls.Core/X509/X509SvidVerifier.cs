using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using Mtls.Identity;
using Mtls.Sources;

namespace Mtls.X509;

/// <summary>
/// Verifies a peer's X.509-SVID chain and returns its SPIFFE ID. The chain is built only to the authorities of
/// the bundle for the peer's own trust domain (never the operating system's store, never another trust domain's
/// bundle), with RFC 5280 path validation as .NET's <see cref="X509Chain"/> applies it under
/// <see cref="X509ChainTrustMode.CustomRootTrust"/>, at the time of an injectable clock.
/// </summary>
public sealed class X509SvidVerifier
{
    private readonly IX509BundleSource _bundles;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier over <paramref name="bundles"/>, using <paramref name="time"/> for validity.</summary>
    public X509SvidVerifier(IX509BundleSource bundles, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        _bundles = bundles;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The clock validity is judged by.</summary>
    internal TimeProvider Time => _time;

    /// <summary>Verifies the chain and returns the peer's SPIFFE ID.</summary>
    /// <param name="leaf">The peer's leaf certificate.</param>
    /// <param name="intermediates">The intermediates the peer sent (may be empty). Roots in it are not trusted.</param>
    /// <exception cref="X509SvidException">The chain is not a valid, trusted X.509-SVID; the rule says why.</exception>
    public SpiffeId Verify(X509Certificate2 leaf, IEnumerable<X509Certificate2>? intermediates = null) =>
        TryVerify(leaf, intermediates, out var id, out var error) ? id : throw error;

    /// <summary>Like <see cref="Verify"/>, but returns the error instead of throwing it.</summary>
    public bool TryVerify(
        X509Certificate2 leaf,
        IEnumerable<X509Certificate2>? intermediates,
        [NotNullWhen(true)] out SpiffeId? id,
        [NotNullWhen(false)] out X509SvidException? error)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        error = SvidCertificateRules.CheckLeaf(leaf, out id);
        if (error is not null)
        {
            return false;
        }

        var bundle = _bundles.GetX509Bundle(id!.TrustDomain);
        if (bundle is null)
        {
            error = new X509SvidException(X509SvidRule.UntrustedTrustDomain, $"no bundle for trust domain '{id.TrustDomain}' of peer '{id}'");
            id = null;
            return false;
        }

        var sent = Intermediates(leaf, intermediates);
        if (sent.Count > SpiffeLimits.MaxSvidIntermediates)
        {
            error = new X509SvidException(X509SvidRule.TooManyIntermediates, SpiffeLimits.ChainOverLimit(sent.Count));
            id = null;
            return false;
        }

        var now = _time.GetUtcNow();
        error = CheckValidity(leaf, now) ?? BuildChain(leaf, sent, bundle, now);
        if (error is not null)
        {
            id = null;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Like <see cref="TryVerify"/>, for a chain SslStream has already built under a custom-root policy trusting the
    /// authorities of every bundle. When that chain is clean and ends at an authority of the peer's own trust domain,
    /// it is exactly the path a build against that bundle alone would accept, so it is checked against the SPIFFE
    /// rules and kept: a handshake then builds one chain instead of two. Anything else (another trust domain's root,
    /// chain errors, an injected clock) takes the full path.
    /// </summary>
    internal bool TryVerifyPrebuilt(
        X509Certificate2 leaf,
        X509Chain? chain,
        [NotNullWhen(true)] out SpiffeId? id,
        [NotNullWhen(false)] out X509SvidException? error)
    {
        if (chain is null || !ReferenceEquals(_time, TimeProvider.System) || !IsCleanCustomRootChain(chain, leaf))
        {
            return TryVerify(leaf, chain?.ChainPolicy.ExtraStore, out id, out error);
        }

        error = SvidCertificateRules.CheckLeaf(leaf, out id);
        if (error is not null)
        {
            return false;
        }

        var bundle = _bundles.GetX509Bundle(id!.TrustDomain);
        var elements = chain.ChainElements;
        if (bundle is null || !bundle.Contains(elements[^1].Certificate))
        {
            return TryVerify(leaf, chain.ChainPolicy.ExtraStore, out id, out error);
        }

        for (int i = 1; i < elements.Count; i++)
        {
            error = SvidCertificateRules.CheckSigning(elements[i].Certificate);
            if (error is not null)
            {
                id = null;
                return false;
            }
        }

        return true;
    }

    private static bool IsCleanCustomRootChain(X509Chain chain, X509Certificate2 leaf)
    {
        if (chain.ChainPolicy.TrustMode != X509ChainTrustMode.CustomRootTrust || chain.ChainElements.Count < 2)
        {
            return false;
        }

        foreach (var status in chain.ChainStatus)
        {
            if (status.Status != X509ChainStatusFlags.NoError)
            {
                return false;
            }
        }

        return chain.ChainElements[0].Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span);
    }

    /// <summary>What the peer sent besides its leaf (SslStream's extra store holds the leaf too on some platforms).</summary>
    private static List<X509Certificate2> Intermediates(X509Certificate2 leaf, IEnumerable<X509Certificate2>? intermediates)
    {
        var result = new List<X509Certificate2>();
        if (intermediates is null)
        {
            return result;
        }

        foreach (var intermediate in intermediates)
        {
            if (!intermediate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                result.Add(intermediate);
            }
        }

        return result;
    }

    private static X509SvidException? BuildChain(
        X509Certificate2 leaf,
        List<X509Certificate2> intermediates,
        Bundles.X509Bundle bundle,
        DateTimeOffset now)
    {
        if (bundle.IsEmpty)
        {
            return new X509SvidException(X509SvidRule.ChainNotTrusted, "the bundle of the peer's trust domain is empty and trusts nothing");
        }

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;

        // Only the authorities that could have issued this chain: .NET copies the whole custom store into a native
        // store on every build, so the full bundle would make each handshake cost in proportion to its size.
        policy.CustomTrustStore.AddRange(bundle.Index.Candidates(leaf, intermediates));
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTimeIgnored = false;
        policy.VerificationTime = now.UtcDateTime;
        policy.ExtraStore.AddRange(intermediates.ToArray());

        bool built = chain.Build(leaf);
        try
        {
            if (!built)
            {
                return Explain(chain, now);
            }

            for (int i = 1; i < chain.ChainElements.Count; i++)
            {
                var signingError = SvidCertificateRules.CheckSigning(chain.ChainElements[i].Certificate);
                if (signingError is not null)
                {
                    return signingError;
                }
            }

            return null;
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }

    private static X509SvidException? CheckValidity(X509Certificate2 certificate, DateTimeOffset now)
    {
        if (now.UtcDateTime > certificate.NotAfter.ToUniversalTime())
        {
            return new X509SvidException(X509SvidRule.Expired, $"certificate '{certificate.Subject}' expired at {certificate.NotAfter.ToUniversalTime():u}");
        }

        return now.UtcDateTime < certificate.NotBefore.ToUniversalTime()
            ? new X509SvidException(X509SvidRule.NotYetValid, $"certificate '{certificate.Subject}' is not valid before {certificate.NotBefore.ToUniversalTime():u}")
            : null;
    }

    private static X509SvidException Explain(X509Chain chain, DateTimeOffset now)
    {
        foreach (var element in chain.ChainElements)
        {
            var validity = CheckValidity(element.Certificate, now);
            if (validity is not null)
            {
                return validity;
            }
        }

        for (int i = 1; i < chain.ChainElements.Count; i++)
        {
            var signing = SvidCertificateRules.CheckSigning(chain.ChainElements[i].Certificate);
            if (signing is not null)
            {
                return signing;
            }
        }

        string status = string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}"));
        return new X509SvidException(X509SvidRule.ChainNotTrusted, $"chain does not verify against the bundle of the peer's trust domain ({status})");
    }
}
