using Mtls.Authorization;

namespace Mtls.AspNetCore;

/// <summary>
/// Settings of the server side of <c>AddSpiffeMtls</c> (Kestrel, connections, the rule set), bound from the
/// <c>Spiffe</c> configuration section and then from the delegate. Validated at startup: an invalid value stops
/// the application with a message naming its key. Where the identity comes from is
/// <see cref="Hosting.SpiffeX509SourceOptions"/>, bound from the same section.
/// </summary>
public sealed class SpiffeMtlsOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "Spiffe";

    private readonly List<SpiffeEndpointExemption> _exemptions = [];

    /// <summary>
    /// Trust domains whose peers may complete the TLS handshake (<c>Spiffe:AuthorizedTrustDomains</c>), e.g. our
    /// own and a federated one. Empty: only our own trust domain, or with <c>Spiffe:Federation</c> our own
    /// (<c>Spiffe:TrustDomain</c>) and the federated ones. A peer refused here never reaches HTTP.
    /// </summary>
    public IList<string> AuthorizedTrustDomains { get; } = [];

    /// <summary>
    /// A handshake-level authorizer (code only) replacing <see cref="AuthorizedTrustDomains"/>, e.g.
    /// <c>Authorizer.MemberOf("a.example").Or(Authorizer.MemberOf("b.example"))</c>.
    /// </summary>
    public Authorizer? HandshakeAuthorizer { get; set; }

    /// <summary>
    /// When true (default, <c>Spiffe:AllEndpoints</c>), every Kestrel endpoint speaks mTLS, whatever its URL scheme,
    /// unless its port is exempted with <see cref="ExemptPort"/>. When false, only endpoints that call
    /// <c>ListenOptions.UseSpiffeMtls()</c> do. Either way, once the server has bound its addresses, an endpoint
    /// that is neither mTLS nor exempted stops startup.
    /// </summary>
    public bool AllEndpoints { get; set; } = true;

    /// <summary>The TLS handshake timeout (<c>Spiffe:HandshakeTimeout</c>); default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a connection may serve requests (<c>Spiffe:MaxConnectionAge</c>); default 10 minutes. A request on an
    /// older connection is still served, and the connection is then closed gracefully (HTTP/1.1 <c>Connection:
    /// close</c>, HTTP/2 GOAWAY), so clients reconnect with a fresh handshake against the current SVIDs and bundles.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns the bound off.
    /// </summary>
    public TimeSpan MaxConnectionAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Ports whose endpoints run in PERMISSIVE mode (<c>Spiffe:PermissivePorts</c>), for migrating callers one at a
    /// time: the endpoint accepts mTLS callers exactly as usual, and plaintext callers too, told apart by the first
    /// byte of the connection (a TLS ClientHello or not). Plaintext requests have no peer (rules and policies see
    /// none: <c>Principals</c> never matches them, <c>NotPrincipals</c> always does), and are counted
    /// (<c>mtls.permissive.plaintext_requests</c>) and logged by route. Empty (the default): every endpoint is STRICT.
    /// </summary>
    public IList<int> PermissivePorts { get; } = [];

    /// <summary>The caller inventory (<c>Spiffe:CallerInventory</c>), recorded while any endpoint is permissive or a rule audits.</summary>
    public SpiffeCallerInventoryOptions CallerInventory { get; } = new();

    /// <summary>The declarative authorization rules (<c>Spiffe:Authorization:Rules</c>).</summary>
    public SpiffeAuthorizationRulesOptions Authorization { get; } = new();

    /// <summary>The ports opted out of mTLS with <see cref="ExemptPort"/>.</summary>
    public IReadOnlyList<SpiffeEndpointExemption> Exemptions => _exemptions;

    /// <summary>
    /// Opts the Kestrel endpoint on <paramref name="port"/> out of mTLS, by name, e.g. a plaintext port for kubelet
    /// probes: <c>o.ExemptPort(8081, "kubelet-probes", "/healthz")</c>. Requests there have no SPIFFE peer (rules and
    /// policies see none); when <paramref name="paths"/> are given, every other path answers 404 there.
    /// </summary>
    /// <param name="port">The endpoint's port (fixed: a dynamic port 0 cannot be exempted).</param>
    /// <param name="name">Why it is exempt; shown in logs and startup messages.</param>
    /// <param name="paths">The only paths served there (exact, compared as routing does); none: every path.</param>
    public SpiffeMtlsOptions ExemptPort(int port, string name, params string[] paths)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(paths);
        foreach (string path in paths)
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/')
            {
                throw new ArgumentException($"exempt path '{path}' must start with '/'", nameof(paths));
            }
        }

        _exemptions.RemoveAll(e => e.Port == port);
        _exemptions.Add(new SpiffeEndpointExemption(port, name, [.. paths]));
        return this;
    }
}
