namespace Mtls.Files;

/// <summary>
/// Where <see cref="FileJwtBundleSource"/> finds the JWT bundles: one file per trust domain, each a SPIFFE bundle
/// (the JWK Set a bundle endpoint serves, whose <c>jwt-svid</c> keys are read and <c>x509-svid</c> keys ignored) or a
/// plain JWK Set (keys without <c>use</c> are JWT authorities). The trust domain is configured, never read from the
/// file, as the SPIFFE bundle format requires.
/// </summary>
public sealed class FileJwtBundleSourceOptions
{
    /// <summary>
    /// The bundle file of each trusted trust domain, by trust domain name: e.g. <c>example.org</c> →
    /// <c>/var/run/secrets/spiffe.io/jwt-bundle.json</c> (configuration: <c>Spiffe:Jwt:BundleFiles:example.org</c>). At
    /// least one is required. A trust domain not listed here is not trusted.
    /// </summary>
    public IDictionary<string, string> BundleFiles { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// How often the files are checked even when no file-system event arrived (Kubernetes swaps a <c>..data</c>
    /// symlink, which watchers often miss). Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Checks the options and names the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (BundleFiles.Count == 0)
        {
            throw new ArgumentException("FileJwtBundleSourceOptions.BundleFiles needs at least one trust domain and its JWT bundle file", nameof(BundleFiles));
        }

        foreach (var (trustDomain, path) in BundleFiles)
        {
            if (!Identity.TrustDomain.TryParse(trustDomain, out _))
            {
                throw new ArgumentException($"FileJwtBundleSourceOptions.BundleFiles: \"{trustDomain}\" is not a trust domain name", nameof(BundleFiles));
            }

            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException($"FileJwtBundleSourceOptions.BundleFiles: the file of {trustDomain} must not be empty", nameof(BundleFiles));
            }
        }

        if (PollInterval <= TimeSpan.Zero || PollInterval > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"FileJwtBundleSourceOptions.PollInterval must be between 0 and 10 minutes; got {PollInterval}", nameof(PollInterval));
        }
    }
}
