namespace Mtls.Files;

/// <summary>
/// Where <see cref="FileX509Source"/> finds the SVID, its key and the trust bundle. The defaults are the file names
/// cert-manager's csi-driver-spiffe writes; <see cref="UseSpiffeHelperNames"/> switches to spiffe-helper's.
/// </summary>
public sealed class FileX509SourceOptions
{
    /// <summary>The directory holding the files, e.g. <c>/var/run/secrets/spiffe.io</c>. Required.</summary>
    public string Directory { get; set; } = string.Empty;

    /// <summary>The certificate chain file (leaf first, PEM). Default <c>tls.crt</c>.</summary>
    public string CertificateFileName { get; set; } = "tls.crt";

    /// <summary>The private key file (PEM: PKCS#8, SEC1 or PKCS#1). Default <c>tls.key</c>.</summary>
    public string KeyFileName { get; set; } = "tls.key";

    /// <summary>
    /// The trust bundle file (PEM CA certificates of the SVID's trust domain). Default <c>ca.crt</c>. May be an absolute
    /// path elsewhere, e.g. a trust-manager bundle mounted from a ConfigMap.
    /// </summary>
    public string BundleFileName { get; set; } = "ca.crt";

    /// <summary>
    /// How often the files are checked even when no file-system event arrived. Kubernetes swaps a <c>..data</c>
    /// symlink, which watchers often miss, so polling is the guarantee and events only make it faster. Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Uses spiffe-helper's default names: <c>svid.pem</c>, <c>svid_key.pem</c>, <c>svid_bundle.pem</c>.</summary>
    public FileX509SourceOptions UseSpiffeHelperNames()
    {
        CertificateFileName = "svid.pem";
        KeyFileName = "svid_key.pem";
        BundleFileName = "svid_bundle.pem";
        return this;
    }

    /// <summary>Checks the options and names the first invalid one.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("FileX509SourceOptions.Directory is required: the directory holding the SVID files", nameof(Directory));
        }

        Require(CertificateFileName, nameof(CertificateFileName));
        Require(KeyFileName, nameof(KeyFileName));
        Require(BundleFileName, nameof(BundleFileName));
        if (PollInterval <= TimeSpan.Zero || PollInterval > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"FileX509SourceOptions.PollInterval must be between 0 and 10 minutes; got {PollInterval}", nameof(PollInterval));
        }
    }

    internal string PathOf(string fileName) => Path.Combine(Directory, fileName);

    private static void Require(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"FileX509SourceOptions.{name} must not be empty", name);
        }
    }
}
