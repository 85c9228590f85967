using System.CommandLine;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Mtls.Authorization;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Cli.Commands;

/// <summary>
/// <c>mtls probe https://host:port --id spiffe://...</c>: an mTLS handshake with this workload's SVID, then one HTTP
/// request (with TLS 1.3 a server refuses a client certificate only after the handshake), and one line saying which
/// side refused and why: what people otherwise piece together from <c>openssl s_client</c> output.
/// </summary>
internal static class ProbeCommand
{
    internal static Command Create(CliEnvironment environment)
    {
        var identity = new IdentityOptions();
        var url = new Argument<string>("url") { Description = "the server, https://host:port" };
        var serverId = new Option<string?>("--id") { Description = "the SPIFFE ID the server must present (default: any ID of our trust domain)" };
        var command = new Command("probe", "Handshake with a server using this workload's SVID; say in one line which side refused and why (exit 1), or that it works.") { url, serverId };
        identity.AddTo(command);
        environment.SetAction(command, CliEnvironment.JsonOption(), async (parse, output, cancellationToken) =>
        {
            var target = ParseTarget(parse.GetValue(url)!);
            using var loaded = await identity.LoadAsync(parse, cancellationToken).ConfigureAwait(false);
            var me = loaded.Svid;
            var expected = parse.GetValue(serverId) is { } text
                ? SpiffeId.TryParse(text, out var id) ? id : throw new CliException(ExitCodes.Usage, $"--id '{text}' is not a SPIFFE ID")
                : null;
            var authorizer = expected is null ? Authorizer.MemberOf(me.Id.TrustDomain) : Authorizer.Id(expected);
            var outcome = await ProbeAsync(target, me, loaded.Context, authorizer, expected, identity.Timeout(parse), environment.Time, cancellationToken).ConfigureAwait(false);
            Print(output, outcome, me.Id, target);
            return outcome.ExitCode;
        });
        return command;
    }

    private static DnsEndPoint ParseTarget(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new CliException(ExitCodes.Usage, $"'{text}' is not an https://host:port URL");
        }

        return new DnsEndPoint(uri.IdnHost, uri.Port);
    }

    private static async Task<ProbeOutcome> ProbeAsync(DnsEndPoint target, X509Svid me, X509Context context, Authorizer authorizer, SpiffeId? expected, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        bool expired = time.GetUtcNow() >= me.NotAfter;
        using var source = new InMemoryX509Source(me, context.Bundles);
        var client = new SpiffeTlsClient(source, authorizer, new SpiffeTlsOptions
        {
            HandshakeTimeout = timeout,
            TimeProvider = time,

            // Both, as HttpClient offers them: an HTTP/2-only server (gRPC) closes a connection that negotiated neither.
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        });
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        SpiffeTlsConnection connection;
        try
        {
            connection = await client.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
        }
        catch (SpiffePeerRefusedException e)
        {
            return IRefused(e, expected);
        }
        catch (SocketException e)
        {
            return ProbeOutcome.Unreachable($"cannot connect to {target.Host}:{target.Port}: {e.Message}");
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Unreachable($"no TLS answer from {target.Host}:{target.Port} within {timeout.TotalSeconds:0.#} s");
        }
        catch (AuthenticationException e)
        {
            // During a TLS 1.2 handshake a server refuses our certificate with an alert that fails our handshake.
            return ServerRefused(me, expired, null, expected?.TrustDomain, e);
        }

        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await RoundTripAsync(connection, target, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or AuthenticationException or ObjectDisposedException)
            {
                // With TLS 1.3 the server checks our certificate after the handshake and answers the first read with an alert.
                return ServerRefused(me, expired, connection.PeerId, connection.PeerId.TrustDomain, e);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return ProbeOutcome.Unreachable($"the handshake with {connection.PeerId} worked, but no HTTP answer came within {timeout.TotalSeconds:0.#} s");
            }

            return new ProbeOutcome(ExitCodes.Ok, null, "ok", $"ok: {connection.PeerId} accepted me ({me.Id}) over {connection.Stream.SslProtocol}", connection.PeerId);
        }
    }

    /// <summary>
    /// Sends what opens an exchange in the negotiated protocol (an HTTP/1.1 HEAD request, or the HTTP/2 preface and an
    /// empty SETTINGS frame) and waits for the first byte of the answer (or the server's alert).
    /// </summary>
    private static async Task RoundTripAsync(SpiffeTlsConnection connection, DnsEndPoint target, CancellationToken cancellationToken)
    {
        byte[] request = connection.Stream.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2
            ? [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0]
            : Encoding.ASCII.GetBytes($"HEAD / HTTP/1.1\r\nHost: {target.Host}:{target.Port}\r\nConnection: close\r\n\r\n");
        await connection.Stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        await connection.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        byte[] buffer = new byte[1];
        if (await connection.Stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new IOException("the server closed the connection without answering");
        }
    }

    private static ProbeOutcome IRefused(SpiffePeerRefusedException e, SpiffeId? expected) => e.Reason switch
    {
        SpiffePeerRefusal.Unauthorized => new ProbeOutcome(
            ExitCodes.Invalid, "client", "wrong-server-id",
            $"I refused: server presented the wrong ID: {e.PeerId}, expected {(expected is null ? "an ID of my trust domain" : expected.ToString())}", e.PeerId),
        SpiffePeerRefusal.NoCertificate => new ProbeOutcome(ExitCodes.Invalid, "client", "no-server-certificate", "I refused: the server presented no certificate", null),
        _ => new ProbeOutcome(
            ExitCodes.Invalid, "client", "invalid-server-svid",
            e.SvidRule == X509SvidRule.UntrustedTrustDomain
                ? $"I refused: I do not trust the server's trust domain ({e.SvidRule}): {e.Message}"
                : $"I refused: the server's SVID is not valid ({e.SvidRule}): {e.Message}",
            null),
    };

    /// <summary>
    /// The server refused us; why is read from what we know (the server does not say): our SVID's expiry, then
    /// whether the server lives in another trust domain (it does not accept ours), else our SVID itself.
    /// </summary>
    private static ProbeOutcome ServerRefused(X509Svid me, bool expired, SpiffeId? server, TrustDomain? serverTrustDomain, Exception e)
    {
        if (expired)
        {
            return new ProbeOutcome(ExitCodes.Invalid, "server", "my-svid-expired", $"server refused: my SVID expired at {CertificateText.Time(me.NotAfter)} ({me.Id})", server);
        }

        if (serverTrustDomain is not null && serverTrustDomain != me.Id.TrustDomain)
        {
            return new ProbeOutcome(
                ExitCodes.Invalid, "server", "my-trust-domain-refused",
                $"server refused my trust domain: {server?.ToString() ?? serverTrustDomain.ToString()} does not accept {me.Id.TrustDomain} (federate the trust domains, or add {me.Id.TrustDomain} to the server's Spiffe:AuthorizedTrustDomains)",
                server);
        }

        return new ProbeOutcome(
            ExitCodes.Invalid, "server", "my-svid-refused",
            $"server refused my SVID ({me.Id}): not authorized by its handshake policy, or its bundle for {me.Id.TrustDomain} does not hold my CA ({Innermost(e)})",
            server);
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }

    private static void Print(CliOutput output, ProbeOutcome outcome, SpiffeId me, DnsEndPoint target)
    {
        if (output.Json)
        {
            output.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteString("target", $"{target.Host}:{target.Port}");
                w.WriteBoolean("ok", outcome.ExitCode == ExitCodes.Ok);
                w.WriteString("refusedBy", outcome.RefusedBy);
                w.WriteString("reason", outcome.Reason);
                w.WriteString("diagnosis", outcome.Diagnosis);
                w.WriteString("myId", me.ToString());
                w.WriteString("serverId", outcome.ServerId?.ToString());
                w.WriteNumber("exitCode", outcome.ExitCode);
                w.WriteEndObject();
            });
            return;
        }

        output.Line(outcome.Diagnosis);
    }

    private sealed record ProbeOutcome(int ExitCode, string? RefusedBy, string Reason, string Diagnosis, SpiffeId? ServerId)
    {
        internal static ProbeOutcome Unreachable(string diagnosis) => new(ExitCodes.Unreachable, null, "unreachable", diagnosis, null);
    }
}
