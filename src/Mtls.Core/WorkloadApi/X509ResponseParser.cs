using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.WorkloadApi.Protocol;
using Mtls.Telemetry;
using Mtls.X509;

namespace Mtls.WorkloadApi;

/// <summary>
/// Turns Workload API X.509 responses into snapshots, all or nothing: every SVID must be a valid X.509-SVID whose key
/// matches, whose <c>spiffe_id</c> field names the certificate's ID, and whose chain verifies against the bundle of
/// its own trust domain in the same response. CRLs are not used (the standard leaves them optional).
/// </summary>
internal static class X509ResponseParser
{
    internal static X509Context ParseContext(X509SVIDResponse response, WorkloadApiClientOptions limits)
    {
        if (response.Svids.Count == 0)
        {
            throw RejectedUpdateException.EmptyField("the X.509-SVID response carries no SVID");
        }

        if (response.Svids.Count > limits.MaxSvids)
        {
            throw new RejectedUpdateException("too_many_svids", $"the X.509-SVID response carries {response.Svids.Count} SVIDs, more than the limit of {limits.MaxSvids}");
        }

        if (response.FederatedBundles.Count + 1 > limits.MaxBundles)
        {
            throw new RejectedUpdateException("too_many_bundles", $"the X.509-SVID response carries {response.FederatedBundles.Count} federated bundles, more than the limit of {limits.MaxBundles}");
        }

        for (int i = 0; i < response.Svids.Count; i++)
        {
            var svid = response.Svids[i];
            string? empty = string.IsNullOrEmpty(svid.SpiffeId) ? "spiffe_id"
                : svid.X509Svid.IsEmpty ? "x509_svid"
                : svid.X509SvidKey.IsEmpty ? "x509_svid_key"
                : svid.Bundle.IsEmpty ? "bundle"
                : null;
            if (empty is not null)
            {
                throw RejectedUpdateException.EmptyField($"SVID {i} of the X.509-SVID response has an empty {empty}");
            }
        }

        var svids = new List<X509Svid>(response.Svids.Count);
        var bundles = new Dictionary<TrustDomain, X509Bundle>();
        try
        {
            foreach (var item in response.Svids)
            {
                var svid = ParseSvid(item);
                svids.Add(svid);
                if (!bundles.ContainsKey(svid.Id.TrustDomain))
                {
                    bundles.Add(svid.Id.TrustDomain, ParseBundle(svid.Id.TrustDomain, item.Bundle, $"bundle of {svid.Id}"));
                }
            }

            AddFederated(response.FederatedBundles, bundles, ownTrustDomains: [.. bundles.Keys]);
            var set = new X509BundleSet(bundles.Values);
            var verifier = new X509SvidVerifier(set, limits.TimeProvider);
            foreach (var svid in svids)
            {
                try
                {
                    verifier.Verify(svid.Certificate, svid.Intermediates);
                }
                catch (X509SvidException e)
                {
                    throw new RejectedUpdateException(e.Rule.ToString(), $"X.509-SVID {svid.Id} does not verify against the bundle of its trust domain: {e.Message}", e);
                }
            }

            return new X509Context(svids, set);
        }
        catch
        {
            new X509Context(svids, new X509BundleSet(bundles.Values)).Release();
            throw;
        }
    }

    internal static X509BundleSet ParseBundles(X509BundlesResponse response, WorkloadApiClientOptions limits)
    {
        if (response.Bundles.Count == 0)
        {
            throw RejectedUpdateException.EmptyField("the X.509 bundles response carries no bundle");
        }

        if (response.Bundles.Count > limits.MaxBundles)
        {
            throw new RejectedUpdateException("too_many_bundles", $"the X.509 bundles response carries {response.Bundles.Count} bundles, more than the limit of {limits.MaxBundles}");
        }

        var bundles = new Dictionary<TrustDomain, X509Bundle>();
        try
        {
            AddFederated(response.Bundles, bundles, ownTrustDomains: []);
            return new X509BundleSet(bundles.Values);
        }
        catch
        {
            new X509Context([], new X509BundleSet(bundles.Values)).Release();
            throw;
        }
    }

    /// <summary>
    /// A bundle map key: exactly a trust domain's SPIFFE ID (<c>spiffe://other.org</c>), as the Workload API defines it.
    /// A key with a path, port, query, user info or anything else is refused rather than read as its trust domain: an
    /// agent that sends one is broken, and the bundle it labels could be meant for something else.
    /// </summary>
    internal static TrustDomain ParseTrustDomainKey(string key)
    {
        if (!key.StartsWith("spiffe://", StringComparison.Ordinal)
            || !TrustDomain.TryParse(key, out var trustDomain)
            || !string.Equals(trustDomain.Id.ToString(), key, StringComparison.Ordinal))
        {
            throw new RejectedUpdateException("invalid_trust_domain", $"bundle key '{LogText.Sanitize(key)}' is not a trust domain ID (spiffe://<trust-domain>)");
        }

        return trustDomain;
    }

    private static X509Svid ParseSvid(Protocol.X509SVID item)
    {
        X509Svid svid;
        try
        {
            svid = X509Svid.Parse(item.X509Svid.Span, item.X509SvidKey.Span, item.Hint);
        }
        catch (X509SvidException e)
        {
            throw new RejectedUpdateException(e.Rule.ToString(), $"X.509-SVID '{item.SpiffeId}' is invalid: {e.Message}", e);
        }

        if (!string.Equals(svid.Id.ToString(), item.SpiffeId, StringComparison.Ordinal))
        {
            var id = svid.Id;
            svid.Dispose();
            throw new RejectedUpdateException("spiffe_id_mismatch", $"X.509-SVID field spiffe_id '{item.SpiffeId}' does not match the certificate's ID {id}");
        }

        return svid;
    }

    private static void AddFederated(MapField<string, ByteString> source, Dictionary<TrustDomain, X509Bundle> bundles, IReadOnlyCollection<TrustDomain> ownTrustDomains)
    {
        foreach (var (key, der) in source)
        {
            var trustDomain = ParseTrustDomainKey(key);
            if (ownTrustDomains.Contains(trustDomain))
            {
                throw new RejectedUpdateException("trust_domain_mismatch", $"a federated bundle is given for {trustDomain}, the workload's own trust domain");
            }

            if (bundles.ContainsKey(trustDomain))
            {
                throw new RejectedUpdateException("duplicate_trust_domain", $"two bundles are given for trust domain {trustDomain}");
            }

            bundles.Add(trustDomain, ParseBundle(trustDomain, der, $"bundle of {trustDomain}"));
        }
    }

    private static X509Bundle ParseBundle(TrustDomain trustDomain, ByteString der, string what)
    {
        // Counted from the DER headers alone, so an oversized bundle costs no certificate decoding.
        int count = CertificateEncoding.CountConcatenatedDer(der.Span);
        if (count > SpiffeLimits.MaxBundleAuthorities)
        {
            throw new RejectedUpdateException("too_many_authorities", $"{what} is refused: {SpiffeLimits.X509BundleOverLimit(trustDomain, count)}");
        }

        try
        {
            return X509Bundle.FromDer(trustDomain, der.Span);
        }
        catch (CryptographicException e)
        {
            throw new RejectedUpdateException("malformed_bundle", $"{what} is not a sequence of DER certificates: {e.Message}", e);
        }
    }
}
