using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>Makes one Kestrel endpoint speak SPIFFE mTLS.</summary>
public static class SpiffeListenOptionsExtensions
{
    /// <summary>
    /// Serves this workload's SVID on the endpoint (rotated without restart), requires a client SVID, verifies it
    /// against the bundle of the client's trust domain and admits only what the handshake authorizer allows; the
    /// verified ID lands in <see cref="ISpiffePeerFeature"/>. Needs <c>services.AddSpiffeMtls()</c>. Calling it
    /// again on the same endpoint does nothing. With <see cref="SpiffeMtlsOptions.AllEndpoints"/> (the default),
    /// endpoints get this without calling it.
    /// </summary>
    public static ListenOptions UseSpiffeMtls(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        var tls = listenOptions.ApplicationServices.GetService<SpiffeServerTls>()
            ?? throw new InvalidOperationException("UseSpiffeMtls() needs services.AddSpiffeMtls() to be called first.");
        if (!tls.TryClaim(listenOptions))
        {
            return listenOptions;
        }

        var endpoint = new EndpointState();
        listenOptions.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = SelectOptions,
            OnConnectionState = endpoint,
            HandshakeTimeout = tls.HandshakeTimeout,
        });
        listenOptions.Use(next =>
        {
            // Kestrel builds connection middleware when it binds, once the endpoint's protocols are final.
            endpoint.Cache = tls.CreateCache(listenOptions.Protocols);
            return context => RecordPeer(context, next);
        });
        return listenOptions;
    }

    private static ValueTask<SslServerAuthenticationOptions> SelectOptions(TlsHandshakeCallbackContext context) =>
        ((EndpointState)context.State!).SelectOptions();

    /// <summary>Runs after the handshake, which has verified the peer's chain: only the ID is read from the leaf.</summary>
    private static Task RecordPeer(ConnectionContext context, ConnectionDelegate next)
    {
        if (context.Features.Get<ITlsConnectionFeature>()?.ClientCertificate is { } leaf
            && SvidCertificateRules.CheckLeaf(leaf, out var id) is null)
        {
            context.Features.Set<ISpiffePeerFeature>(new SpiffePeerFeature(id!));
        }

        return next(context);
    }

    /// <summary>One endpoint's options cache, handed to Kestrel's per-handshake callback as its state.</summary>
    internal sealed class EndpointState
    {
        internal SpiffeServerTlsOptionsCache? Cache { get; set; }

        /// <summary>What every handshake on the endpoint runs: a read of the current options, allocation-free on success.</summary>
        internal ValueTask<SslServerAuthenticationOptions> SelectOptions()
        {
            var options = Cache?.Current;
            return options is not null
                ? ValueTask.FromResult(options)
                : ValueTask.FromException<SslServerAuthenticationOptions>(new AuthenticationException("no X509-SVID is available to serve"));
        }
    }
}
