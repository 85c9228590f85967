using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mtls.Identity;

namespace Mtls.Tls;

/// <summary>
/// A client <see cref="SslStream"/> that verifies the server as a SPIFFE peer and remembers the outcome, so that
/// the cached, shared validation callback needs no per-connection closure and the caller can tell a refused
/// server apart from any other TLS failure.
/// </summary>
internal sealed class SpiffeClientSslStream : SslStream
{
    private readonly ClientTlsSnapshot _snapshot;

    internal SpiffeClientSslStream(Stream innerStream, ClientTlsSnapshot snapshot)
        : base(innerStream, leaveInnerStreamOpen: false)
    {
        _snapshot = snapshot;
    }

    /// <summary>The server's verified SPIFFE ID (also set when only authorization failed).</summary>
    internal SpiffeId? ServerId { get; private set; }

    /// <summary>Why the server was refused, or null when it was accepted (or not yet seen).</summary>
    internal PeerVerificationFailure? Failure { get; private set; }

    /// <summary>
    /// The validation callback shared by every cached options object: SslStream passes itself as the sender.
    /// SslStream's own <see cref="SslPolicyErrors"/> are ignored on purpose: its chain was built without SPIFFE's
    /// rules and SVIDs carry no host name; <see cref="PeerVerification"/> decides instead.
    /// </summary>
    internal static bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        sender is SpiffeClientSslStream stream && stream.Verify(certificate, chain);

    private bool Verify(X509Certificate? certificate, X509Chain? chain)
    {
        bool ok = PeerVerification.TryVerify(_snapshot.Verifier, _snapshot.Authorizer, certificate, chain, out var id, out var failure);
        ServerId = id;
        Failure = failure;
        if (id is not null)
        {
            ClientTlsTelemetry.RecordAuthorization(id, ok, _snapshot.Rule);
        }

        return ok;
    }
}
