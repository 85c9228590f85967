using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Authorization;
using Mtls.Hosting;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.Tls;

namespace Mtls.AspNetCore;

/// <summary>
/// The server's TLS state shared by every endpoint: the source, what the handshake admits, one
/// <see cref="SpiffeTlsServer"/> per mTLS endpoint (endpoints differ only in their ALPN protocols), and
/// the register of endpoints the Kestrel part covers (mTLS or exempt), which the coverage check compares with what
/// Kestrel bound.
/// </summary>
internal sealed class SpiffeServerTls : IDisposable
{
    private readonly SpiffeServerTlsSettings _settings;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Lock _gate = new();
    private readonly List<SpiffeTlsServer> _servers = [];
    private readonly Dictionary<ListenOptions, SpiffeEndpointExemption?> _endpoints = new(ReferenceEqualityComparer.Instance);

    public SpiffeServerTls(IX509Source source, IOptions<SpiffeMtlsOptions> options, IOptions<SpiffeX509SourceOptions> sourceOptions, SpiffeIdLabels labels, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sourceOptions);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var value = options.Value;
        Source = source;
        Labels = labels;
        Time = time;
        Options = value;
        _loggerFactory = loggerFactory;
        string? trustDomainName = sourceOptions.Value.TrustDomain;
        var trustDomain = trustDomainName is null ? null : TrustDomain.Parse(trustDomainName);
        var authorizer = value.HandshakeAuthorizer
            ?? TrustDomainAuthorizer.MemberOfAny(value.AuthorizedTrustDomains);
        _settings = new SpiffeServerTlsSettings(trustDomain, authorizer);
    }

    internal IX509Source Source { get; }

    internal TimeProvider Time { get; }

    /// <summary>How request metrics report identities (<c>Spiffe:Telemetry</c>).</summary>
    internal SpiffeIdLabels Labels { get; }

    internal SpiffeMtlsOptions Options { get; }

    internal TimeSpan HandshakeTimeout => Options.HandshakeTimeout;

    /// <summary>The exemption for <paramref name="endpoint"/>'s port, if it was opted out by name.</summary>
    internal SpiffeEndpointExemption? ExemptionOf(ListenOptions endpoint)
    {
        int? port = (endpoint.EndPoint as IPEndPoint)?.Port;
        return port is null ? null : Options.Exemptions.FirstOrDefault(e => e.Port == port);
    }

    /// <summary>Whether <paramref name="endpoint"/>'s port accepts plaintext callers too (PERMISSIVE).</summary>
    internal bool IsPermissive(ListenOptions endpoint) =>
        endpoint.EndPoint is IPEndPoint ip && Options.PermissivePorts.Contains(ip.Port);

    /// <summary>True the first time <paramref name="endpoint"/> is registered, so that applying a part twice is harmless.</summary>
    internal bool TryRegister(ListenOptions endpoint, SpiffeEndpointExemption? exemption)
    {
        lock (_gate)
        {
            return _endpoints.TryAdd(endpoint, exemption);
        }
    }

    /// <summary>
    /// How the Kestrel part covers the bound <paramref name="address"/> (as Kestrel lists it): <c>mTLS</c>,
    /// <c>PERMISSIVE</c>, <c>exempt (name)</c>, or null when it does not. Endpoints are matched by Unix socket path or by port: a
    /// request-level check refuses any connection that reached an uncovered endpoint anyway.
    /// </summary>
    internal string? Coverage(string address)
    {
        BindingAddress parsed;
        try
        {
            parsed = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return null;
        }

        lock (_gate)
        {
            foreach (var (endpoint, exemption) in _endpoints)
            {
                bool same = endpoint.EndPoint switch
                {
                    UnixDomainSocketEndPoint unix => parsed.IsUnixPipe && unix.ToString() == parsed.UnixPipePath,
                    IPEndPoint ip => !parsed.IsUnixPipe && ip.Port == parsed.Port,
                    _ => false,
                };
                if (same)
                {
                    return exemption is not null ? $"exempt ({exemption.Name})"
                        : IsPermissive(endpoint) ? "PERMISSIVE (mTLS, and plaintext without a peer)"
                        : "mTLS";
                }
            }
        }

        return null;
    }

    /// <summary>The TLS server of one endpoint: ALPN for <paramref name="protocols"/>, as Kestrel would offer it.</summary>
    internal SpiffeTlsServer CreateServer(HttpProtocols protocols)
    {
        var alpn = new List<SslApplicationProtocol>(2);
        if ((protocols & HttpProtocols.Http2) != 0)
        {
            alpn.Add(SslApplicationProtocol.Http2);
        }

        if ((protocols & HttpProtocols.Http1) != 0)
        {
            alpn.Add(SslApplicationProtocol.Http11);
        }

        var options = new SpiffeTlsOptions { ApplicationProtocols = alpn, HandshakeTimeout = HandshakeTimeout, TimeProvider = Time, LoggerFactory = _loggerFactory };
        var server = new SpiffeTlsServer(Source, _settings, options);
        lock (_gate)
        {
            _servers.Add(server);
        }

        return server;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var server in _servers)
            {
                server.Dispose();
            }

            _servers.Clear();
        }
    }
}
