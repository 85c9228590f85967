using System.Net.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mtls.Tls;

/// <summary>
/// Settings shared by <see cref="SpiffeTlsServer"/> and <see cref="SpiffeTlsClient"/>. Which SVID is presented is the
/// source's choice (apply a hint or trust domain with <see cref="Sources.X509SourceChoice.Apply"/>); which peers are
/// accepted is the authorizer's. Validated when a server or client is created.
/// </summary>
public sealed class SpiffeTlsOptions
{
    /// <summary>The longest a handshake may take before it is abandoned (and its connection closed). Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The ALPN protocols offered (client) or accepted (server), in order of preference; none by default.</summary>
    public IReadOnlyList<SslApplicationProtocol> ApplicationProtocols { get; init; } = [];

    /// <summary>The clock for peer certificate validity and handshake timeouts.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where refused peers and served SVIDs are logged.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The longest <see cref="HandshakeTimeout"/> accepted: a handshake takes milliseconds.</summary>
    internal static readonly TimeSpan MaxHandshakeTimeout = TimeSpan.FromMinutes(5);

    internal static SpiffeTlsOptions Default { get; } = new();

    internal SpiffeTlsOptions Validated()
    {
        if (HandshakeTimeout <= TimeSpan.Zero || HandshakeTimeout > MaxHandshakeTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "HandshakeTimeout must be more than zero and at most 5 minutes.");
        }

        ArgumentNullException.ThrowIfNull(ApplicationProtocols, nameof(ApplicationProtocols));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
        return this;
    }
}
