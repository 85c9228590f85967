using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Mtls.Authorization;
using Mtls.Sources;
using Mtls.Telemetry;

namespace Mtls.Tls;

/// <summary>
/// The client half of SPIFFE mTLS over any stream (go-spiffe's <c>tlsconfig.MTLSClientConfig</c>): presents the SVID
/// the source chose (with its intermediates) and accepts only a server whose SVID verifies against the bundle of its
/// own trust domain (never the system store, never its host name) and whose ID the authorizer allows. The TLS objects
/// are rebuilt once per snapshot of the source, lazily on the first handshake after a rotation, so each new
/// connection presents the SVID current at that moment. HttpClient and gRPC connections use exactly this type.
/// </summary>
/// <example>
/// <code>
/// var client = new SpiffeTlsClient(source, Authorizer.Id("spiffe://example.org/server"));
/// await using var connection = await client.ConnectAsync(new DnsEndPoint("server", 5000));
/// </code>
/// </example>
public sealed class SpiffeTlsClient
{
    private readonly IX509Source _source;
    private readonly SpiffeTlsOptions _options;
    private readonly string _rule;
    private ClientTlsSnapshot? _snapshot;

    /// <summary>Presents <paramref name="source"/>'s SVID and accepts only the servers <paramref name="authorizer"/> allows.</summary>
    /// <param name="source">Where our SVID and the trusted bundles come from; new handshakes follow its rotations.</param>
    /// <param name="authorizer">Which verified server IDs are accepted (e.g. <see cref="Authorizer.Id(string)"/>).</param>
    /// <param name="options">Timeout, ALPN, clock and logging; defaults when null.</param>
    public SpiffeTlsClient(IX509Source source, Authorizer authorizer, SpiffeTlsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(authorizer);
        _source = source;
        Authorizer = authorizer;
        _options = (options ?? SpiffeTlsOptions.Default).Validated();
        _rule = authorizer.ToString();
    }

    /// <summary>Who the server must be.</summary>
    public Authorizer Authorizer { get; }

    /// <summary>
    /// The options for a client handshake with <paramref name="targetHost"/> (the SNI name; it is not checked, the
    /// server's SPIFFE ID is) using the current SVID and bundles, for an <see cref="SslStream"/> you or a library run
    /// (read the peer afterwards with <see cref="SslStreamSpiffeExtensions.GetSpiffePeerId"/>). Shared by every
    /// handshake with that host in this snapshot: do not modify it. Call this per connection to follow rotations. These
    /// options never resume a TLS session, because only this library's own handshakes re-check a resumed peer (a
    /// runtime may skip the validation callback then); <see cref="AuthenticateAsync(Stream, string, CancellationToken)"/> does resume.
    /// A refused server fails that handshake with a <see cref="SpiffePeerRefusedException"/> (a library running the
    /// handshake may wrap it: look for it in the exception chain).
    /// </summary>
    /// <exception cref="InvalidOperationException">The source has no SVID (not received yet, or withdrawn).</exception>
    public SslClientAuthenticationOptions GetAuthenticationOptions(string targetHost)
    {
        ArgumentNullException.ThrowIfNull(targetHost);
        return GetSnapshot().GetOptions(targetHost, _options.ApplicationProtocols, resumable: false);
    }

    /// <summary>
    /// Sets the SPIFFE parts (our SVID, the server's verification) on options a library created and hands over for
    /// one connection, keeping its target host and ALPN protocols. For libraries with such a hook, e.g. Npgsql's
    /// <c>UseSslClientAuthenticationOptionsCallback</c>. Session resumption is turned off on them, as for
    /// <see cref="GetAuthenticationOptions"/>. A refused server fails that handshake with a
    /// <see cref="SpiffePeerRefusedException"/>, which the library may wrap.
    /// </summary>
    /// <exception cref="InvalidOperationException">The source has no SVID (not received yet, or withdrawn).</exception>
    public void ConfigureAuthenticationOptions(SslClientAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        GetSnapshot().Configure(options, resumable: false);
    }

    /// <summary>
    /// Runs the client handshake over <paramref name="transport"/>, which the result then owns; on failure the
    /// transport is disposed. With TLS 1.3 a server that refuses our SVID says so after its handshake completed: the
    /// first read of the connection then fails.
    /// </summary>
    /// <exception cref="SpiffePeerRefusedException">The server's SVID did not verify, or its ID is not authorized.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <see cref="SpiffeTlsOptions.HandshakeTimeout"/>.</exception>
    /// <exception cref="AuthenticationException">The handshake failed for another reason.</exception>
    /// <exception cref="InvalidOperationException">The source has no SVID (not received yet, or withdrawn).</exception>
    public Task<SpiffeTlsConnection> AuthenticateAsync(Stream transport, string targetHost, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(targetHost);
        return AuthenticateAsync(transport, targetHost, 0, _options.ApplicationProtocols, cancellationToken);
    }

    /// <summary>
    /// Connects to <paramref name="remote"/> (a <see cref="DnsEndPoint"/>, an <see cref="IPEndPoint"/> or a
    /// <see cref="UnixDomainSocketEndPoint"/>) and runs the client handshake.
    /// </summary>
    /// <exception cref="SpiffePeerRefusedException">The server's SVID did not verify, or its ID is not authorized.</exception>
    /// <exception cref="TimeoutException">The handshake took longer than <see cref="SpiffeTlsOptions.HandshakeTimeout"/>.</exception>
    /// <exception cref="SocketException">The connection could not be opened.</exception>
    public Task<SpiffeTlsConnection> ConnectAsync(EndPoint remote, CancellationToken cancellationToken = default) =>
        ConnectAsync(remote, _options.ApplicationProtocols, cancellationToken);

    /// <summary>The connection of every caller: HttpClient passes the ALPN protocols of its request.</summary>
    internal async Task<SpiffeTlsConnection> ConnectAsync(EndPoint remote, IReadOnlyList<SslApplicationProtocol> alpn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var (host, port) = remote switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            UnixDomainSocketEndPoint => ("localhost", 0),
            _ => throw new ArgumentException($"unsupported end point type {remote.GetType().Name}: use a DnsEndPoint, an IPEndPoint or a UnixDomainSocketEndPoint", nameof(remote)),
        };
        var socket = SocketFor(remote);
        try
        {
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await AuthenticateAsync(new NetworkStream(socket, ownsSocket: true), host, port, alpn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The handshake of every caller.</summary>
    internal async Task<SpiffeTlsConnection> AuthenticateAsync(Stream transport, string targetHost, int port, IReadOnlyList<SslApplicationProtocol> alpn, CancellationToken cancellationToken)
    {
        ClientTlsSnapshot snapshot;
        try
        {
            snapshot = GetSnapshot();
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        long started = Stopwatch.GetTimestamp();
        using var activity = ClientTlsTelemetry.StartHandshake(targetHost, port);
        var options = snapshot.GetOptions(targetHost, alpn, resumable: true);
        try
        {
            var connection = await TlsHandshake.RunAsync(
                new SslStream(transport, leaveInnerStreamOpen: false),
                (stream, token) => stream.AuthenticateAsClientAsync(options, token),
                snapshot.Confirm,
                _rule,
                _options,
                cancellationToken).ConfigureAwait(false);
            ClientTlsTelemetry.RecordHandshake(activity, started, connection.PeerId, "ok");
            return connection;
        }
        catch (SpiffePeerRefusedException e)
        {
            ClientTlsTelemetry.RecordHandshake(activity, started, e.PeerId, e.Failure.Outcome);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ClientTlsTelemetry.RecordHandshake(activity, started, null, MtlsTelemetry.TlsErrorType);
            throw;
        }
    }

    /// <summary>The TLS objects for the source's current snapshot, rebuilt when the snapshot changed.</summary>
    /// <exception cref="InvalidOperationException">The source has no SVID (not received yet, or withdrawn).</exception>
    internal ClientTlsSnapshot GetSnapshot()
    {
        // The source's own choice with the snapshot it was made from (never Svids[0]): a client presents exactly the
        // SVID a server on the same source would serve.
        var selection = X509SourceChoice.Read(_source);
        var svid = selection?.Svid
            ?? throw new InvalidOperationException("the X.509 source has no SVID to present (none received yet, withdrawn, or none fits the SVID hint or trust domain)");
        var context = selection.Context;
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && ReferenceEquals(snapshot.Context, context) && ReferenceEquals(snapshot.Svid, svid))
        {
            return snapshot;
        }

        // Two racing handshakes may both build; either result is correct for this snapshot.
        var built = new ClientTlsSnapshot(context, svid, Authorizer, _rule, _options.TimeProvider);
        Volatile.Write(ref _snapshot, built);
        return built;
    }

    internal static Socket SocketFor(EndPoint endPoint) => endPoint switch
    {
        UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
        IPEndPoint ip => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
        _ => new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
    };
}
