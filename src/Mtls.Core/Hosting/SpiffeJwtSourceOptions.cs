namespace Mtls.Hosting;

/// <summary>
/// Where this workload's JWT material comes from, for <c>AddSpiffeJwtSource</c>: the JWT bundles that validate peers'
/// JWT-SVIDs, and (from the Workload API only) this workload's own JWT-SVIDs. Bound from <c>Spiffe:Jwt</c>, then from
/// the delegate, and validated at startup with messages naming the key.
/// </summary>
public sealed class SpiffeJwtSourceOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Spiffe:Jwt";

    /// <summary>
    /// Where the JWT material comes from (<c>Spiffe:Jwt:Source</c>); default <see cref="SpiffeSourceKind.WorkloadApi"/>.
    /// <see cref="SpiffeSourceKind.Files"/> gives bundles only: files hold no JWT-SVIDs of this workload, so a client
    /// sending JWT-SVIDs needs the Workload API.
    /// </summary>
    public SpiffeSourceKind Source { get; set; } = SpiffeSourceKind.WorkloadApi;

    /// <summary>
    /// The Workload API address (<c>Spiffe:Jwt:EndpointSocket</c>); unset: <c>Spiffe:EndpointSocket</c>, then the
    /// <c>SPIFFE_ENDPOINT_SOCKET</c> environment variable, as for the X.509 source.
    /// </summary>
    public string? EndpointSocket { get; set; }

    /// <summary>
    /// The JWT bundle file (a SPIFFE bundle or JWK Set) of each trusted trust domain, by trust domain name
    /// (<c>Spiffe:Jwt:BundleFiles:example.org</c>); read only when <see cref="Source"/> is <see cref="SpiffeSourceKind.Files"/>.
    /// </summary>
    public IDictionary<string, string> BundleFiles { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How often the bundle files are checked besides file-system events (<c>Spiffe:Jwt:PollInterval</c>); default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long startup waits for the first JWT bundles (<c>Spiffe:Jwt:StartupTimeout</c>); default 30 s.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Takes the JWT bundle of <paramref name="trustDomain"/> from <paramref name="path"/> (call once per trust domain).</summary>
    public SpiffeJwtSourceOptions UseBundleFile(string trustDomain, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trustDomain);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        BundleFiles[trustDomain] = path;
        Source = SpiffeSourceKind.Files;
        return this;
    }
}
