using Mtls.Authorization;
using Mtls.Files;
using Mtls.Sources;

namespace Mtls.AspNetCore;

/// <summary>
/// Settings of <c>AddSpiffeMtls</c>, bound from the <c>Spiffe</c> configuration section and then from the
/// delegate. Validated at startup: an invalid value stops the application with a message naming its key.
/// </summary>
public sealed class SpiffeMtlsOptions
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
    /// This workload's trust domain (<c>Spiffe:TrustDomain</c>). When set, an SVID outside it is never served, and
    /// it is the trust domain admitted at the handshake unless <see cref="AuthorizedTrustDomains"/> says otherwise.
    /// </summary>
    public string? TrustDomain { get; set; }

    /// <summary>Serve the SVID carrying this hint (<c>Spiffe:SvidHint</c>); unset: the source's default SVID.</summary>
    public string? SvidHint { get; set; }

    /// <summary>
    /// Trust domains whose peers may complete the TLS handshake (<c>Spiffe:AuthorizedTrustDomains</c>), e.g. our
    /// own and a federated one. Empty: only our own trust domain. A peer refused here never reaches HTTP.
    /// </summary>
    public IList<string> AuthorizedTrustDomains { get; } = [];

    /// <summary>
    /// A handshake-level authorizer (code only) replacing <see cref="AuthorizedTrustDomains"/>, e.g.
    /// <c>Authorizer.MemberOf("a.example").Or(Authorizer.MemberOf("b.example"))</c>.
    /// </summary>
    public Authorizer? HandshakeAuthorizer { get; set; }

    /// <summary>
    /// When true (default, <c>Spiffe:AllEndpoints</c>), every Kestrel endpoint configured after <c>AddSpiffeMtls</c>
    /// (URLs, <c>Kestrel:Endpoints</c>, <c>Listen*</c>) speaks mTLS, whatever its URL scheme. When false, only
    /// endpoints that call <c>ListenOptions.UseSpiffeMtls()</c> do.
    /// </summary>
    public bool AllEndpoints { get; set; } = true;

    /// <summary>How long startup waits for the first SVID (<c>Spiffe:StartupTimeout</c>); default 30 s.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The TLS handshake timeout (<c>Spiffe:HandshakeTimeout</c>); default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The declarative authorization rules (<c>Spiffe:Authorization:Rules</c>).</summary>
    public SpiffeAuthorizationRulesOptions Authorization { get; } = new();

    /// <summary>The source given to <see cref="UseSource"/>, if any.</summary>
    internal IX509Source? CustomSource { get; private set; }

    /// <summary>
    /// Takes the identity from the files in <paramref name="directory"/> (by default cert-manager csi-driver-spiffe's
    /// <c>tls.crt</c>, <c>tls.key</c> and <c>ca.crt</c>; <paramref name="configure"/> changes names and polling, e.g.
    /// <c>f => f.UseSpiffeHelperNames()</c>).
    /// </summary>
    public SpiffeMtlsOptions UseFiles(string directory, Action<FileX509SourceOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Files.Directory = directory;
        configure?.Invoke(Files);
        Source = SpiffeSourceKind.Files;
        return this;
    }

    /// <summary>
    /// Takes the identity from <paramref name="source"/> (e.g. an <see cref="InMemoryX509Source"/>) instead of the
    /// Workload API. The application's service provider disposes it at shutdown.
    /// </summary>
    public SpiffeMtlsOptions UseSource(IX509Source source)
    {
        CustomSource = source ?? throw new ArgumentNullException(nameof(source));
        Source = SpiffeSourceKind.Custom;
        return this;
    }
}
