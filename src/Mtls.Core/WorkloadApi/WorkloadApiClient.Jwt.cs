using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.WorkloadApi.Protocol;

namespace Mtls.WorkloadApi;

/// <content>The JWT half of the Workload API: JWT-SVIDs, JWT bundles and validation by the agent.</content>
public sealed partial class WorkloadApiClient
{
    private const string JwtSvidWhat = "JWT-SVID";
    private const string JwtBundlesWhat = "JWT bundles";

    /// <summary>Fetches a JWT-SVID for <paramref name="audience"/>: this workload's default identity, or <paramref name="subject"/>.</summary>
    /// <exception cref="WorkloadApiException">The call failed (e.g. <c>PermissionDenied</c> when the workload is not entitled to <paramref name="subject"/>), or the answer was invalid (<c>StatusCode.Internal</c>).</exception>
    public async Task<JwtSvid> FetchJwtSvidAsync(string audience, SpiffeId? subject = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        var svids = await FetchJwtSvidsAsync([audience], subject, cancellationToken).ConfigureAwait(false);
        return svids[0];
    }

    /// <summary>
    /// Fetches JWT-SVIDs carrying every one of <paramref name="audiences"/>: one per identity the workload is entitled
    /// to (the first is the default), or only <paramref name="subject"/>'s. The tokens are bearer credentials.
    /// </summary>
    /// <exception cref="WorkloadApiException">The call failed, or the answer was invalid (<c>StatusCode.Internal</c>).</exception>
    public async Task<IReadOnlyList<JwtSvid>> FetchJwtSvidsAsync(IReadOnlyCollection<string> audiences, SpiffeId? subject = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audiences);
        if (audiences.Count == 0 || audiences.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("At least one audience is needed, and none may be empty.", nameof(audiences));
        }

        var request = new JWTSVIDRequest { SpiffeId = subject?.ToString() ?? string.Empty, Audience = { audiences } };
        var response = await CallAsync(() => _client.FetchJWTSVIDAsync(request, cancellationToken: cancellationToken).ResponseAsync, JwtSvidWhat, cancellationToken).ConfigureAwait(false);

        return ParseOrThrow(() => JwtResponseParser.ParseSvids(response, audiences, _options), JwtSvidWhat);
    }

    /// <summary>Fetches the JWT bundles (the keys that verify JWT-SVIDs) of every trust domain the workload trusts.</summary>
    /// <exception cref="WorkloadApiException">The call failed, or the answer was invalid (<c>StatusCode.Internal</c>).</exception>
    public Task<JwtBundleSet> FetchJwtBundlesAsync(CancellationToken cancellationToken = default) =>
        FetchFirstAsync(c => _client.FetchJWTBundles(new JWTBundlesRequest(), c), ParseJwtBundles, JwtBundlesWhat, cancellationToken);

    /// <summary>Watches the JWT bundles: the full set first, then on every change. Invalid responses are skipped.</summary>
    /// <exception cref="WorkloadApiException">The stream failed.</exception>
    public IAsyncEnumerable<JwtBundleSet> WatchJwtBundlesAsync(CancellationToken cancellationToken = default) =>
        WatchAsync(c => _client.FetchJWTBundles(new JWTBundlesRequest(), c), ParseJwtBundles, JwtBundlesWhat, cancellationToken);

    /// <summary>
    /// Asks the agent to validate <paramref name="token"/> for <paramref name="audience"/>. Prefer local validation
    /// (<see cref="WorkloadApiJwtSource.ValidateJwtSvid"/>), which needs no round trip.
    /// </summary>
    /// <returns>The token's SVID, parsed after the agent accepted it.</returns>
    /// <exception cref="WorkloadApiException">The agent rejected the token (<c>InvalidArgument</c>) or the call failed.</exception>
    public async Task<JwtSvid> ValidateJwtSvidAsync(string token, string audience, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(audience);
        var request = new ValidateJWTSVIDRequest { Audience = audience, Svid = token };
        var response = await CallAsync(() => _client.ValidateJWTSVIDAsync(request, cancellationToken: cancellationToken).ResponseAsync, "JWT-SVID validation", cancellationToken).ConfigureAwait(false);

        return ParseOrThrow(
            () =>
            {
                JwtSvid svid;
                try
                {
                    svid = JwtSvid.ParseInsecure(token);
                }
                catch (JwtSvidException e)
                {
                    throw new RejectedUpdateException(e.Rule.ToString(), $"the agent accepted a token that is not a JWT-SVID: {e.Message}", e);
                }

                return string.Equals(svid.Id.ToString(), response.SpiffeId, StringComparison.Ordinal)
                    ? svid
                    : throw new RejectedUpdateException("spiffe_id_mismatch", $"the agent validated the token as {response.SpiffeId}, but its sub is {svid.Id}");
            },
            "JWT-SVID validation");
    }

    private JwtBundleSet ParseJwtBundles(JWTBundlesResponse response) => JwtResponseParser.ParseBundles(response, _options);
}
