using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Federation;

/// <summary>One validated entry of <see cref="SpiffeFederationOptions.TrustDomains"/>, with its files loaded.</summary>
internal sealed record FederatedTrustDomain(
    TrustDomain TrustDomain,
    Uri Url,
    BundleEndpointProfile Profile,
    SpiffeId? EndpointId,
    SpiffeBundle? InitialBundle,
    X509Certificate2Collection? WebRoots)
{
    private const string Section = "Spiffe:Federation";

    /// <summary>The validated entries; throws naming every broken key.</summary>
    internal static IReadOnlyList<FederatedTrustDomain> CreateAll(SpiffeFederationOptions options, TrustDomain? localTrustDomain)
    {
        var failures = new List<string>();
        var entries = Validate(options, localTrustDomain, failures);
        return failures.Count == 0
            ? entries
            : throw new ArgumentException(string.Join("; ", failures), nameof(options));
    }

    /// <summary>Checks <paramref name="options"/>, adding a message starting with its key per broken value; returns the valid entries.</summary>
    internal static List<FederatedTrustDomain> Validate(SpiffeFederationOptions options, TrustDomain? localTrustDomain, List<string> failures)
    {
        var entries = new List<FederatedTrustDomain>();
        if (!options.IsEnabled)
        {
            return entries;
        }

        CheckPositive(options.RefreshInterval, "RefreshInterval", failures);
        CheckPositive(options.MinRefreshInterval, "MinRefreshInterval", failures);
        CheckPositive(options.MaxRefreshInterval, "MaxRefreshInterval", failures);
        CheckPositive(options.RetryDelay, "RetryDelay", failures);
        CheckPositive(options.MaxRetryDelay, "MaxRetryDelay", failures);
        CheckPositive(options.FetchTimeout, "FetchTimeout", failures);
        if (options.MinRefreshInterval > options.MaxRefreshInterval)
        {
            failures.Add($"{Section}:MinRefreshInterval ({options.MinRefreshInterval}) is above {Section}:MaxRefreshInterval ({options.MaxRefreshInterval})");
        }

        if (localTrustDomain is null)
        {
            failures.Add($"Spiffe:TrustDomain is required with {Section}: the local trust domain, whose bundle a federated one must never replace and whose members the handshake admits besides the federated ones");
        }

        var seen = new HashSet<TrustDomain>();
        for (int i = 0; i < options.TrustDomains.Count; i++)
        {
            if (Create(options.TrustDomains[i], $"{Section}:TrustDomains:{i}", localTrustDomain, failures) is { } entry)
            {
                if (!seen.Add(entry.TrustDomain))
                {
                    failures.Add($"{Section}:TrustDomains:{i}:TrustDomain '{entry.TrustDomain}' is configured twice");
                }

                entries.Add(entry);
            }
        }

        return entries;
    }

    private static FederatedTrustDomain? Create(FederatedTrustDomainOptions? options, string key, TrustDomain? localTrustDomain, List<string> failures)
    {
        if (options is null)
        {
            failures.Add($"{key} is empty");
            return null;
        }

        int before = failures.Count;
        if (!Identity.TrustDomain.TryParse(options.TrustDomain, out var trustDomain))
        {
            failures.Add($"{key}:TrustDomain '{options.TrustDomain}' is not a valid trust domain name (e.g. b.example)");
        }
        else if (trustDomain == localTrustDomain)
        {
            failures.Add($"{key}:TrustDomain '{trustDomain}' is the local trust domain: its bundle comes from the identity source, never from a bundle endpoint");
        }

        if (!Uri.TryCreate(options.BundleEndpointUrl, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps || !string.IsNullOrEmpty(url.UserInfo))
        {
            failures.Add($"{key}:BundleEndpointUrl '{options.BundleEndpointUrl}' must be an absolute https:// URL without user info (bundle endpoints require transport security)");
        }

        if (!Enum.IsDefined(options.Profile))
        {
            failures.Add($"{key}:Profile '{options.Profile}' is not a profile (HttpsWeb or HttpsSpiffe)");
        }

        SpiffeId? endpointId = null;
        if (options.Profile == BundleEndpointProfile.HttpsSpiffe)
        {
            if (!SpiffeId.TryParse(options.EndpointSpiffeId, out endpointId))
            {
                failures.Add($"{key}:EndpointSpiffeId '{options.EndpointSpiffeId}' must be the SPIFFE ID the endpoint presents (required for HttpsSpiffe)");
            }
            else if (trustDomain is not null && endpointId.TrustDomain != trustDomain)
            {
                failures.Add($"{key}:EndpointSpiffeId '{endpointId}' is not in the trust domain {trustDomain} it serves the bundle of");
            }

            if (string.IsNullOrWhiteSpace(options.InitialBundleFile))
            {
                failures.Add($"{key}:InitialBundleFile is required for HttpsSpiffe: the bundle, obtained out of band, that authenticates the endpoint's first answer");
            }

            if (options.WebRootsFile is not null)
            {
                failures.Add($"{key}:WebRootsFile applies to HttpsWeb only: an HttpsSpiffe endpoint is verified against the trust domain's own bundle");
            }
        }
        else if (options.EndpointSpiffeId is not null)
        {
            failures.Add($"{key}:EndpointSpiffeId applies to HttpsSpiffe only: an HttpsWeb endpoint is verified by its host name");
        }

        var initial = trustDomain is null ? null : LoadInitialBundle(options, key, trustDomain, failures);
        var webRoots = LoadWebRoots(options.WebRootsFile, key, failures);
        return failures.Count == before
            ? new FederatedTrustDomain(trustDomain!, url!, options.Profile, endpointId, initial, webRoots)
            : null;
    }

    private static SpiffeBundle? LoadInitialBundle(FederatedTrustDomainOptions options, string key, TrustDomain trustDomain, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.InitialBundleFile))
        {
            return null;
        }

        try
        {
            var info = new FileInfo(options.InitialBundleFile);
            if (info.Exists && info.Length > SpiffeLimits.MaxBundleDocumentBytes)
            {
                failures.Add($"{key}:InitialBundleFile '{options.InitialBundleFile}' holds {info.Length} bytes, over the limit of {SpiffeLimits.MaxBundleDocumentBytes} ({nameof(SpiffeLimits.MaxBundleDocumentBytes)})");
                return null;
            }

            var bundle = SpiffeBundle.Parse(trustDomain, File.ReadAllBytes(options.InitialBundleFile));
            if (BundleRules.Check(bundle, previous: null, options.Profile) is { } error)
            {
                failures.Add($"{key}:InitialBundleFile '{options.InitialBundleFile}': {error}");
                return null;
            }

            return bundle;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BundleFormatException)
        {
            failures.Add($"{key}:InitialBundleFile '{options.InitialBundleFile}' is not a readable SPIFFE bundle: {e.Message}");
            return null;
        }
    }

    private static X509Certificate2Collection? LoadWebRoots(string? path, string key, List<string> failures)
    {
        if (path is null)
        {
            return null;
        }

        try
        {
            string pem = File.ReadAllText(path);
            int count = CertificateEncoding.CountPemCertificates(pem);
            if (count == 0 || count > SpiffeLimits.MaxBundleAuthorities)
            {
                failures.Add($"{key}:WebRootsFile '{path}' holds {count} PEM certificates; it must hold from 1 to {SpiffeLimits.MaxBundleAuthorities} ({nameof(SpiffeLimits.MaxBundleAuthorities)})");
                return null;
            }

            return [.. CertificateEncoding.ParsePemCertificates(pem)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            failures.Add($"{key}:WebRootsFile '{path}' is not a readable PEM file of CA certificates: {e.Message}");
            return null;
        }
    }

    private static void CheckPositive(TimeSpan value, string name, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:{name} must be positive, not {value}");
        }
    }
}
