using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Mtls.Jwt;
using Mtls.Sources;

namespace Mtls.AspNetCore.Authentication;

/// <summary>
/// Authenticates a request by the JWT-SVID in its <c>Authorization: Bearer</c> header, validated by
/// <see cref="JwtSvidValidator"/> against the JWT bundle of the token's trust domain for one of the accepted audiences.
/// A refused token gets a bare 401 (<c>WWW-Authenticate: Bearer error="invalid_token"</c>, nothing about why); the
/// rule it broke goes to the log, rate-limited. A validated token becomes a new principal (SPIFFE ID, trust domain,
/// path, and the token's claims) and the request's verified JWT subject for the SPIFFE requirements.
/// </summary>
internal sealed class SpiffeJwtAuthenticationHandler(
    IOptionsMonitor<SpiffeJwtAuthenticationOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IJwtBundleSource bundles,
    SpiffeJwtRefusalLog refusals)
    : AuthenticationHandler<SpiffeJwtAuthenticationOptions>(options, logger, encoder)
{
    private const string BearerPrefix = "Bearer ";

    /// <summary>Claim types the scheme sets itself: a token's claim of the same name is left out, never added beside them.</summary>
    private static readonly HashSet<string> ReservedClaimTypes =
    [
        ClaimTypes.NameIdentifier, ClaimTypes.Name, SpiffeClaimTypes.SpiffeId, SpiffeClaimTypes.TrustDomain, SpiffeClaimTypes.Path,
    ];

    private new SpiffeJwtAuthenticationEvents Events => (SpiffeJwtAuthenticationEvents)base.Events!;

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new SpiffeJwtAuthenticationEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers.Authorization;
        if (headers.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        string? header = headers.Count == 1 ? headers[0] : null;
        if (header is not null && !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            // Another scheme's credentials (Basic, Negotiate): not ours to judge.
            return AuthenticateResult.NoResult();
        }

        JwtSvid svid;
        try
        {
            if (header is null)
            {
                throw new JwtSvidException(JwtSvidRule.Malformed, $"The request has {headers.Count} Authorization headers; one is expected.");
            }

            string token = header[BearerPrefix.Length..].Trim();
            svid = new JwtSvidValidator(bundles, TimeProvider).Validate(token, [.. Options.Audiences]);
        }
        catch (JwtSvidException e)
        {
            return await RefuseAsync(e.Rule, e.Message).ConfigureAwait(false);
        }

        var validated = new SpiffeJwtValidatedContext(Context, Scheme, Options, svid) { Principal = CreatePrincipal(svid) };
        await Events.Validated(validated).ConfigureAwait(false);
        if (validated.Result is { } result && !result.Succeeded)
        {
            return result;
        }

        if (validated.Result is null)
        {
            validated.Success();
        }

        SpiffeJwtSubjectFeature.Add(Context, Scheme.Name, svid);
        return validated.Result!;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        Response.StatusCode = StatusCodes.Status401Unauthorized;

        // RFC 6750: the error code only; no description, so a caller cannot probe which rule its token broke.
        Response.Headers.Append(HeaderNames.WWWAuthenticate, result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"");
    }

    private async Task<AuthenticateResult> RefuseAsync(JwtSvidRule rule, string detail)
    {
        refusals.Refused(rule.ToString(), Context.GetPeerSpiffeId()?.ToString(), Request.Method, Request.Path.Value ?? string.Empty, detail);
        await Events.Failed(new SpiffeJwtFailedContext(Context, Scheme, Options, rule)).ConfigureAwait(false);
        return AuthenticateResult.Fail("invalid JWT-SVID");
    }

    private ClaimsPrincipal CreatePrincipal(JwtSvid svid)
    {
        var principal = SpiffePrincipal.Create(svid.Id, Scheme.Name);
        var identity = (ClaimsIdentity)principal.Identity!;
        foreach (var (name, value) in svid.Claims)
        {
            if (!ReservedClaimTypes.Contains(name))
            {
                AddClaims(identity, name, value);
            }
        }

        return principal;
    }

    private void AddClaims(ClaimsIdentity identity, string name, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                identity.AddClaim(new Claim(name, value.GetString()!, ClaimValueTypes.String, Scheme.Name));
                break;
            case JsonValueKind.Number:
                identity.AddClaim(new Claim(name, value.GetRawText(), value.TryGetInt64(out _) ? ClaimValueTypes.Integer64 : ClaimValueTypes.Double, Scheme.Name));
                break;
            case JsonValueKind.True or JsonValueKind.False:
                identity.AddClaim(new Claim(name, value.GetRawText(), ClaimValueTypes.Boolean, Scheme.Name));
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Array)
                    {
                        AddClaims(identity, name, item);
                    }
                }

                break;
            case JsonValueKind.Object:
                identity.AddClaim(new Claim(name, value.GetRawText(), "JSON", Scheme.Name));
                break;
        }
    }
}
