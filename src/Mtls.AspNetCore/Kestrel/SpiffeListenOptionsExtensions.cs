using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Telemetry;
using Mtls.Tls;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>Makes one Kestrel endpoint speak SPIFFE mTLS.</summary>
public static class SpiffeListenOptionsExtensions
{
    /// <summary>
    /// Serves this workload's SVID on the endpoint (rotated without restart), requires a client SVID, verifies it
    /// against the bundle of the client's trust domain and admits only what the handshake authorizer allows; the
    /// verified ID lands in <see cref="ISpiffePeerFeature"/>, and every request re-checks it. Needs
    /// <c>services.AddSpiffeMtls()</c>. Calling it again on the same endpoint does nothing. With
    /// <see cref="SpiffeMtlsOptions.AllEndpoints"/> (the default), endpoints get this without calling it. On a port
    /// listed in <see cref="SpiffeMtlsOptions.PermissivePorts"/> the endpoint also serves plaintext callers, without a peer.
    /// </summary>
    public static ListenOptions UseSpiffeMtls(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        var tls = ServerTls(listenOptions, nameof(UseSpiffeMtls));
        if (!tls.TryRegister(listenOptions, exemption: null))
        {
            return listenOptions;
        }

        var endpoint = new EndpointState();
        var permissive = tls.IsPermissive(listenOptions) ? new SpiffePermissiveConnectionMiddleware(tls) : null;
        if (permissive is not null)
        {
            listenOptions.Use(permissive.Detect);
        }

        listenOptions.Use(next => context => ServerHandshakeWatch.ObserveAsync(context, next, tls.HandshakeTimeout));
        listenOptions.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = SelectOptions,
            OnConnectionState = endpoint,
            HandshakeTimeout = tls.HandshakeTimeout,
        });
        listenOptions.Use(next =>
        {
            // Kestrel builds connection middleware when it binds, once the endpoint's protocols are final.
            var server = tls.CreateServer(listenOptions.Protocols);
            endpoint.Server = server;
            return context => RecordPeer(context, next, server, tls);
        });
        if (permissive is not null)
        {
            listenOptions.Use(permissive.CaptureAfterTls);
        }

        return listenOptions;
    }

    /// <summary>Applies what the options say to an endpoint Kestrel creates: exempt by port, else mTLS when every endpoint should speak it.</summary>
    internal static void ApplyDefaults(ListenOptions listenOptions)
    {
        var tls = ServerTls(listenOptions, nameof(ApplyDefaults));
        if (tls.ExemptionOf(listenOptions) is { } exemption)
        {
            if (tls.TryRegister(listenOptions, exemption))
            {
                listenOptions.Use(next => context =>
                {
                    context.Features.Set(SpiffeConnection.ForExemption(exemption, tls.Time.GetUtcNow()));
                    return next(context);
                });
            }
        }
        else if (tls.Options.AllEndpoints)
        {
            listenOptions.UseSpiffeMtls();
        }
    }

    private static SpiffeServerTls ServerTls(ListenOptions listenOptions, string caller) =>
        listenOptions.ApplicationServices.GetService<SpiffeServerTls>()
            ?? throw new InvalidOperationException($"{caller}() needs services.AddSpiffeMtls() to be called first.");

    private static ValueTask<SslServerAuthenticationOptions> SelectOptions(TlsHandshakeCallbackContext context)
    {
        HandshakeClock.Start(context.SslStream);
        if (context.Connection.Features.Get<ServerHandshakeWatch>() is { } watch)
        {
            watch.Stream = context.SslStream;
        }

        return ((EndpointState)context.State!).SelectOptions();
    }

    /// <summary>
    /// Runs after the handshake, before any request: the peer the validation callback verified, or, when the runtime
    /// ran none (a resumed session may skip it), the peer verified now (<see cref="SpiffeTlsServer.Confirm"/>). A
    /// connection without a verified peer, whatever the reason, is closed unserved.
    /// </summary>
    private static Task RecordPeer(ConnectionContext context, ConnectionDelegate next, SpiffeTlsServer server, SpiffeServerTls tls)
    {
        var stream = context.Features.Get<ISslStreamFeature>()?.SslStream;
        var verified = stream is null ? null : server.Confirm(stream);
        if (verified is null)
        {
            context.Abort(new ConnectionAbortedException("no verified SPIFFE peer on an mTLS connection"));
            return Task.CompletedTask;
        }

        var peer = new SpiffePeerFeature(verified);
        var identities = SpiffeRequestIdentities.Create(tls.Labels, verified.Id, tls.Labels.LocalId(stream!.LocalCertificate));
        context.Features.Set(SpiffeConnection.ForPeer(peer, tls.Time.GetUtcNow(), identities));
        context.Features.Set<ISpiffePeerFeature>(peer);
        return next(context);
    }

    /// <summary>One endpoint's TLS server, handed to Kestrel's per-handshake callback as its state.</summary>
    internal sealed class EndpointState
    {
        internal SpiffeTlsServer? Server { get; set; }

        /// <summary>What every handshake on the endpoint runs: a read of the current options, allocation-free on success.</summary>
        internal ValueTask<SslServerAuthenticationOptions> SelectOptions()
        {
            var options = Server?.Current;
            return options is not null
                ? ValueTask.FromResult(options)
                : ValueTask.FromException<SslServerAuthenticationOptions>(new AuthenticationException("no X509-SVID is available to serve"));
        }
    }
}
