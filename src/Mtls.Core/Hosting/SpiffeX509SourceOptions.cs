using Mtls.Federation;
using Mtls.Files;

namespace Mtls.Hosting;

/// <summary>
/// Where this workload's X.509 identity comes from, for <c>AddSpiffeX509Source</c>: bound from the <c>Spiffe</c>
/// configuration section, then from the delegate, and validated at startup (an invalid value stops the application
/// with a message naming its key). Settings only: a source object of the application's own is registered with
/// <c>AddSpiffeX509Source(source)</c>, never put here.
/// </summary>
public sealed class SpiffeX509SourceOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Spiffe";

    /// <summary>The environment variable read when <see cref="EndpointSocket"/> is unset.</summary>
    public const string EndpointSocketVariable = "SPIFFE_ENDPOINT_SOCKET";

    /// <summary>Where the identity comes from (<c>Spiffe:Source</c>); default <see cref="SpiffeSourceKind.WorkloadApi"/>.</summary>
    public SpiffeSourceKind Source { get; set; } = SpiffeSourceKind.WorkloadApi;

    /// <summary>
    /// The Workload API address (<c>Spiffe:EndpointSocket</c>), e.g. <c>unix:///run/spire/agent.sock</c>; unset:
    /// the <c>SPIFFE_ENDPOINT_SOCKET</c> environment variable.
    /// </summary>
    public string? EndpointSocket { get; set; }

    /// <summary>
    /// Where the files of <see cref="SpiffeSourceKind.Files"/> are (<c>Spiffe:Files:Directory</c>,
    /// <c>CertificateFileName</c> default <c>tls.crt</c>, <c>KeyFileName</c> default <c>tls.key</c>,
    /// <c>BundleFileName</c> default <c>ca.crt</c>, a name in the directory or an absolute path, and
    /// <c>PollInterval</c> default 1 s). Read only when <see cref="Source"/> is <see cref="SpiffeSourceKind.Files"/>.
    /// </summary>
    public FileX509SourceOptions Files { get; } = new();

    /// <summary>
    /// This workload's trust domain (<c>Spiffe:TrustDomain</c>). When set, an SVID outside it is never presented, by
    /// servers and clients alike, and servers admit its members at the handshake unless configured otherwise.
    /// </summary>
    public string? TrustDomain { get; set; }

    /// <summary>
    /// Present the SVID carrying this Workload API hint (<c>Spiffe:SvidHint</c>); unset: the source's default SVID.
    /// With no SVID carrying the hint, the workload presents none, as server and as client.
    /// </summary>
    public string? SvidHint { get; set; }

    /// <summary>
    /// Foreign trust domains whose bundles are fetched from their SPIFFE bundle endpoints (<c>Spiffe:Federation</c>).
    /// When any is configured, the source's snapshots carry their bundles besides our own (each trust domain its own),
    /// so servers and clients verify their members; <see cref="TrustDomain"/> is then required.
    /// </summary>
    public SpiffeFederationOptions Federation { get; } = new();

    /// <summary>How long startup waits for the first SVID (<c>Spiffe:StartupTimeout</c>); default 30 s.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Takes the identity from the files in <paramref name="directory"/> (by default cert-manager csi-driver-spiffe's
    /// <c>tls.crt</c>, <c>tls.key</c> and <c>ca.crt</c>; <paramref name="configure"/> changes names and polling, e.g.
    /// <c>f => f.UseSpiffeHelperNames()</c>).
    /// </summary>
    public SpiffeX509SourceOptions UseFiles(string directory, Action<FileX509SourceOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Files.Directory = directory;
        configure?.Invoke(Files);
        Source = SpiffeSourceKind.Files;
        return this;
    }
}
