using System.Security.Cryptography.X509Certificates;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Telemetry;

/// <summary>
/// Turns verified SPIFFE IDs into the values of request metric attributes, as <see cref="SpiffeTelemetryOptions"/>
/// says. Called once per connection (labels are cached with the connection), never per request.
/// </summary>
internal sealed class SpiffeIdLabels
{
    private readonly SpiffeIdPattern[] _patterns;
    private LocalCertificate? _local;

    internal SpiffeIdLabels(SpiffeTelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Detail = options.RequestIdentities;
        _patterns = [.. options.IdPatterns.Select(SpiffeIdPattern.Parse)];
    }

    /// <summary>Full IDs, no patterns: what a client or server without configuration reports.</summary>
    internal static SpiffeIdLabels Default { get; } = new(new SpiffeTelemetryOptions());

    /// <summary>How much of each ID is reported.</summary>
    internal SpiffeIdDetail Detail { get; }

    /// <summary>Whether request metrics carry identities at all.</summary>
    internal bool Enabled => Detail != SpiffeIdDetail.None;

    /// <summary>The attribute value for a verified <paramref name="id"/>; null when there is none or identities are off.</summary>
    internal string? Label(SpiffeId? id)
    {
        if (id is null || Detail == SpiffeIdDetail.None)
        {
            return null;
        }

        foreach (var pattern in _patterns)
        {
            if (pattern.IsMatch(id))
            {
                return pattern.ToString();
            }
        }

        return Detail == SpiffeIdDetail.TrustDomain ? id.TrustDomain.Id.ToString() : id.ToString();
    }

    /// <summary>
    /// The SPIFFE ID of our own certificate on a connection (the SVID this side presented). The SVID was checked when
    /// the source loaded it; the last certificate seen is remembered, so a snapshot's connections read it once.
    /// </summary>
    internal SpiffeId? LocalId(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return null;
        }

        var local = Volatile.Read(ref _local);
        if (local is not null && ReferenceEquals(local.Certificate, certificate))
        {
            return local.Id;
        }

        SpiffeId? id = null;
        if (certificate is X509Certificate2 leaf && SvidCertificateRules.CheckLeaf(leaf, out var read) is null)
        {
            id = read;
        }

        Volatile.Write(ref _local, new LocalCertificate(certificate, id));
        return id;
    }

    private sealed record LocalCertificate(X509Certificate Certificate, SpiffeId? Id);
}
