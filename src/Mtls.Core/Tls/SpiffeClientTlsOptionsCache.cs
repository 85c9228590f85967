using System.Security.Authentication;
using Mtls.Authorization;
using Mtls.Sources;

namespace Mtls.Tls;

/// <summary>
/// The client half of SPIFFE mTLS over any stream: presents the SVID the source chose (with its intermediates)
/// and accepts only a server whose SVID verifies against the bundle of its own trust domain and whose ID the
/// authorizer allows. The TLS objects are rebuilt once per snapshot of the source, lazily on the first handshake
/// after a rotation, so each new connection presents the SVID current at that moment.
/// </summary>
internal sealed class SpiffeClientTlsOptionsCache
{
    private readonly IX509Source _source;
    private readonly string _rule;
    private readonly TimeProvider _time;
    private ClientTlsSnapshot? _snapshot;

    internal SpiffeClientTlsOptionsCache(IX509Source source, Authorizer authorizer, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(authorizer);
        _source = source;
        Authorizer = authorizer;
        _rule = authorizer.ToString();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Who the server must be.</summary>
    internal Authorizer Authorizer { get; }

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
        var built = new ClientTlsSnapshot(context, svid, Authorizer, _rule, _time);
        Volatile.Write(ref _snapshot, built);
        return built;
    }

    /// <summary>
    /// Runs the client handshake over <paramref name="transport"/> (which the returned stream then owns) with the
    /// server at <paramref name="targetHost"/> (the SNI name) and <paramref name="port"/> (for telemetry).
    /// </summary>
    /// <exception cref="PeerRefusedException">The server's SVID did not verify or its ID is not authorized.</exception>
    /// <exception cref="AuthenticationException">The handshake failed for another reason.</exception>
    internal async ValueTask<SpiffeClientSslStream> AuthenticateAsync(Stream transport, string targetHost, int port, ClientAlpn alpn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(targetHost);
        var snapshot = GetSnapshot();
        using var activity = ClientTlsTelemetry.StartHandshake(targetHost, port);
        var stream = new SpiffeClientSslStream(transport, snapshot);
        try
        {
            await stream.AuthenticateAsClientAsync(snapshot.GetOptions(targetHost, alpn), cancellationToken).ConfigureAwait(false);
            ClientTlsTelemetry.RecordHandshake(activity, stream.ServerId, "ok");
            return stream;
        }
        catch (AuthenticationException e) when (stream.Failure is { } failure)
        {
            ClientTlsTelemetry.RecordHandshake(activity, stream.ServerId, failure.Outcome);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new PeerRefusedException(failure, stream.ServerId, snapshot.Rule, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ClientTlsTelemetry.RecordHandshake(activity, stream.ServerId, ClientTlsTelemetry.TlsErrorOutcome);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
