using Mtls.Jwt;
using Mtls.Sources;

namespace Mtls.Http;

/// <summary>
/// The token one client sends for one audience: reused until <see cref="SpiffeJwtClientOptions.RefreshFraction"/> of its
/// lifetime has passed, then obtained anew from the source (whose own cache the Workload API source keeps too). Never
/// hands out a token at or past its expiry. Also refuses plaintext destinations. Thread-safe; one per client.
/// </summary>
internal sealed class JwtSvidCache
{
    private readonly IJwtSvidSource _source;
    private readonly string[] _audience;
    private readonly SpiffeJwtClientOptions _options;
    private readonly TimeProvider _time;
    private volatile Entry? _current;

    internal JwtSvidCache(IJwtSvidSource source, string audience, SpiffeJwtClientOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(audience);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _source = source;
        _audience = [audience];
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Refuses <paramref name="destination"/> unless it is https, or http to a host named in the options.</summary>
    /// <exception cref="SpiffeJwtPlaintextException">The token would travel in clear.</exception>
    internal void CheckDestination(Uri? destination)
    {
        if (destination is null || !destination.IsAbsoluteUri)
        {
            throw new SpiffeJwtPlaintextException("A JWT-SVID is sent only to an absolute https:// URI; this request has none.");
        }

        if (destination.Scheme == Uri.UriSchemeHttps
            || (destination.Scheme == Uri.UriSchemeHttp && _options.PlaintextHosts.Contains(destination.IdnHost)))
        {
            return;
        }

        throw new SpiffeJwtPlaintextException(
            $"Refused to send a JWT-SVID over {destination.Scheme}:// to {destination.IdnHost}: a bearer token is sent only over https, or over http to a host named in SpiffeJwtClientOptions.PlaintextHosts (AllowPlaintextHttpTo).");
    }

    /// <summary>The token to send now.</summary>
    internal async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_current is { } entry && now < entry.RefreshAt)
        {
            return entry.Svid.Token;
        }

        var svid = await _source.GetJwtSvidAsync(_audience, subject: null, cancellationToken).ConfigureAwait(false);
        now = _time.GetUtcNow();
        if (svid.Expiry <= now)
        {
            throw new InvalidOperationException($"The JWT source returned an expired JWT-SVID for {svid.Id} (expired {svid.Expiry:u}); none is sent.");
        }

        var issued = svid.IssuedAt is { } iat && iat <= now ? iat : now;
        var refreshAt = issued + ((svid.Expiry - issued) * _options.RefreshFraction);
        _current = new Entry(svid, refreshAt);
        return svid.Token;
    }

    private sealed record Entry(JwtSvid Svid, DateTimeOffset RefreshAt);
}
