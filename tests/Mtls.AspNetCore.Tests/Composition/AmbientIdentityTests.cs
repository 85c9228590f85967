using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Mtls.AspNetCore.Authentication;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Hosting;
using Mtls.Sources;

namespace Mtls.AspNetCore.Tests.Composition;

/// <summary>
/// The SPIFFE peer is the user only where a policy or endpoint names the Spiffe scheme: in each test a workload with
/// a valid SVID and no token would pass a check meant for people, or a token's claim would pass a check meant for the
/// TLS peer, if the identity were ambient.
/// </summary>
public sealed class AmbientIdentityTests : IDisposable
{
    private static readonly SymmetricSecurityKey SigningKey = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private readonly TestPki _pki = new();
    private readonly InMemoryX509Source _source;

    public AmbientIdentityTests() => _source = new InMemoryX509Source(_pki.Ca.IssueSvid(TestPki.ServerId), _pki.Bundles());

    [Fact]
    public async Task Svid_without_a_token_does_not_pass_Authorize_of_a_jwt_bearer_api()
    {
        await using var host = await StartAsync(JwtBearerDefault);
        using var client = Client(host, TestPki.ClientId);

        var controller = await client.Http.GetAsync("/people");
        var minimal = await client.Http.GetAsync("/me");

        Assert.Equal(HttpStatusCode.Unauthorized, controller.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, minimal.StatusCode);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Svid_is_not_the_user_of_Authorize_in_an_app_with_no_other_scheme()
    {
        await using var host = await StartAsync(_ => { });
        using var client = Client(host, TestPki.ClientId);

        var response = await client.Http.GetAsync("/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Svid_with_a_valid_token_reaches_the_people_api_as_the_token_user()
    {
        await using var host = await StartAsync(JwtBearerDefault);
        using var client = Client(host, TestPki.ClientId);
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(("sub", "alice"), ("name", "alice")));

        Assert.Equal("alice", await client.Http.GetStringAsync("/people"));
        Assert.Equal(1, host.Invocations);
    }

    [Fact]
    public async Task Svid_without_a_cookie_does_not_pass_Authorize_of_a_cookie_app()
    {
        await using var host = await StartAsync(builder =>
            builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie());
        using var client = Client(host, TestPki.ClientId);
        client.Handler.AllowAutoRedirect = false;

        var response = await client.Http.GetAsync("/me");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Spiffe_claim_in_a_bearer_token_does_not_satisfy_RequireSpiffeId_in_a_bearer_policy()
    {
        await using var host = await StartAsync(JwtBearerDefault);
        // The TLS peer is another workload; the token claims to be the client.
        using var client = Client(host, "spiffe://example.org/intruder");
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(("sub", "mallory"), (SpiffeClaimTypes.SpiffeId, TestPki.ClientId)));

        var policy = await client.Http.GetAsync("/bearer-policy");
        var attribute = await client.Http.GetAsync("/people/claimed");
        var imperative = await client.Http.GetStringAsync("/imperative");

        Assert.Equal(HttpStatusCode.Forbidden, policy.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, attribute.StatusCode);
        Assert.Equal("denied", imperative);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Spiffe_claim_in_a_bearer_token_without_a_tls_peer_is_refused_on_an_exempt_port()
    {
        int plain = CompositionHost.FreePort();
        await using var host = await StartAsync(
            builder =>
            {
                JwtBearerDefault(builder);
                builder.WebHost.UseUrls("https://127.0.0.1:0", $"http://127.0.0.1:{plain}");
            },
            o => o.ExemptPort(plain, "ingress"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{plain}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(("sub", "mallory"), (SpiffeClaimTypes.SpiffeId, TestPki.ClientId)));

        var response = await http.GetAsync("/bearer-policy");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Imperative_authorization_with_the_request_as_resource_allows_the_verified_peer()
    {
        await using var host = await StartAsync(_ => { });
        using var client = Client(host, TestPki.ClientId);
        using var intruder = Client(host, "spiffe://example.org/intruder");

        Assert.Equal("allowed", await client.Http.GetStringAsync("/imperative-peer"));
        Assert.Equal("denied", await intruder.Http.GetStringAsync("/imperative-peer"));
    }

    [Fact]
    public async Task Claims_added_in_place_by_a_transformation_never_reach_the_next_request_on_the_connection()
    {
        await using var host = await StartAsync(builder => builder.Services.AddHttpContextAccessor().AddTransient<IClaimsTransformation, GrantOnHeader>());
        using var client = Client(host, TestPki.ClientId);

        using var granted = new HttpRequestMessage(HttpMethod.Get, "/roles");
        granted.Headers.Add("X-Grant", "admin");
        Assert.Equal("admin", await (await client.Http.SendAsync(granted)).Content.ReadAsStringAsync());
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(string.Empty, await client.Http.GetStringAsync("/roles"));
        }

        Assert.Single(client.ServerSerials);
    }

    [Fact]
    public async Task OnValidated_maps_claims_for_policies_naming_the_spiffe_scheme()
    {
        await using var host = await StartAsync(builder => builder.Services.AddAuthentication().AddSpiffe(o => o.Events.OnValidated = context =>
        {
            context.Principal!.Identities.First().AddClaim(new Claim(ClaimTypes.Role, context.PeerId.Path == "/client" ? "orders-reader" : "none"));
            return Task.CompletedTask;
        }));
        using var client = Client(host, TestPki.ClientId);

        Assert.Equal("orders-reader", await client.Http.GetStringAsync("/roles"));
    }

    [Fact]
    public async Task OnValidated_can_refuse_the_peer()
    {
        await using var host = await StartAsync(builder => builder.Services.AddAuthentication().AddSpiffe(o => o.Events.OnValidated = context =>
        {
            context.Fail("not today");
            return Task.CompletedTask;
        }));
        using var client = Client(host, TestPki.ClientId);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.Http.GetAsync("/client-only")).StatusCode);
        Assert.Equal(0, host.Invocations);
    }

    [Fact]
    public async Task Registering_every_part_twice_is_harmless()
    {
        await using var host = await StartAsync(builder =>
        {
            builder.Services.AddSpiffeX509Source(_source);
            builder.Services.AddSpiffeMtls();
            builder.Services.AddAuthentication().AddSpiffe().AddSpiffe();
        });
        using var client = Client(host, TestPki.ClientId);

        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/client-only")).StatusCode);
        Assert.Equal(1, host.Invocations);
    }

    public void Dispose()
    {
        _source.Dispose();
        _pki.Dispose();
    }

    private static void JwtBearerDefault(WebApplicationBuilder builder) =>
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                IssuerSigningKey = SigningKey,
                ValidateIssuer = false,
                ValidateAudience = false,
                NameClaimType = "name",
            };
        });

    private static string Token(params (string Type, string Value)[] claims) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Claims = claims.ToDictionary(c => c.Type, c => (object)c.Value),
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
    });

    private TestClient Client(CompositionHost host, string id) =>
        new(host.Address, TestPki.ToClientCertificate(_pki.Ca.Issue(id)), _pki.Bundles());

    private Task<CompositionHost> StartAsync(Action<WebApplicationBuilder> compose, Action<SpiffeMtlsOptions>? mtls = null) =>
        CompositionHost.StartAsync(
            builder =>
            {
                builder.WebHost.UseUrls("https://127.0.0.1:0");
                builder.Services.AddSpiffeX509Source(_source);
                builder.Services.AddSpiffeMtls(mtls);
                compose(builder);
                builder.Services.AddControllers().AddApplicationPart(typeof(PeopleController).Assembly);
                builder.Services.AddAuthorization(o => o.AddPolicy("workload-claim", p => p.RequireSpiffeId(TestPki.ClientId)));
            },
            static (app, invocations) =>
            {
                app.MapControllers();
                app.MapGet("/me", (HttpContext context) =>
                {
                    invocations.Count();
                    return context.User.Identity?.Name;
                }).RequireAuthorization();
                app.MapGet("/bearer-policy", () =>
                {
                    invocations.Count();
                    return "bearer";
                }).RequireAuthorization(new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireSpiffeId(TestPki.ClientId).Build());
                app.MapGet("/imperative", async (HttpContext context, IAuthorizationService authorization) =>
                {
                    var policy = new AuthorizationPolicyBuilder().RequireSpiffeId(TestPki.ClientId).Build();
                    var forged = new ClaimsPrincipal(new ClaimsIdentity([new Claim(SpiffeClaimTypes.SpiffeId, TestPki.ClientId)], "forged"));
                    bool withoutResource = (await authorization.AuthorizeAsync(forged, policy)).Succeeded;
                    bool withRequest = (await authorization.AuthorizeAsync(forged, context, policy)).Succeeded;
                    return withoutResource || withRequest ? "allowed" : "denied";
                });
                app.MapGet("/imperative-peer", async (HttpContext context, IAuthorizationService authorization) =>
                {
                    var policy = new AuthorizationPolicyBuilder().RequireSpiffeId(TestPki.ClientId).Build();
                    return (await authorization.AuthorizeAsync(context.User, context, policy)).Succeeded ? "allowed" : "denied";
                });
                app.MapGet("/roles", (HttpContext context) =>
                    string.Join(",", context.User.FindAll(ClaimTypes.Role).Select(c => c.Value))).RequireSpiffeIdMatching("spiffe://example.org/*");
                app.MapGet("/client-only", () =>
                {
                    invocations.Count();
                    return "client";
                }).RequireSpiffeId(TestPki.ClientId);
            });

    /// <summary>Edits the principal in place, as many transformations do, adding a role when the request asks.</summary>
    private sealed class GrantOnHeader(IHttpContextAccessor accessor) : IClaimsTransformation
    {
        public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
        {
            if (accessor.HttpContext?.Request.Headers["X-Grant"] is { Count: > 0 } grant)
            {
                principal.Identities.First().AddClaim(new Claim(ClaimTypes.Role, grant.ToString()));
            }

            return Task.FromResult(principal);
        }
    }
}
