namespace Mtls.Http;

/// <summary>Settings of a client that sends JWT-SVIDs (<c>AddSpiffeJwt(audience)</c>, <see cref="SpiffeJwtCallCredentials"/>).</summary>
public sealed class SpiffeJwtClientOptions
{
    /// <summary>
    /// Hosts to which the token may be sent over plaintext <c>http://</c>, each named exactly (compared ignoring case,
    /// no wildcards), e.g. a sidecar on <c>localhost</c>. Empty by default: a request to any other <c>http://</c> URI
    /// is refused before anything is sent, since a bearer token on the wire in clear is a stolen token.
    /// </summary>
    public ISet<string> PlaintextHosts { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The fraction of a token's lifetime (from <c>iat</c>, or from when it was obtained, to <c>exp</c>) after which
    /// a new one is obtained. Default 0.5; between 0 (exclusive) and 1 (exclusive), so a token is never sent at its
    /// expiry.
    /// </summary>
    public double RefreshFraction { get; set; } = 0.5;

    /// <summary>Allows plaintext <c>http://</c> to <paramref name="host"/> (opts in by name; see <see cref="PlaintextHosts"/>).</summary>
    public SpiffeJwtClientOptions AllowPlaintextHttpTo(string host)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        PlaintextHosts.Add(host);
        return this;
    }

    internal void Validate()
    {
        if (!(RefreshFraction > 0 && RefreshFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(RefreshFraction), RefreshFraction, "The refresh fraction must be greater than 0 and less than 1.");
        }
    }
}
