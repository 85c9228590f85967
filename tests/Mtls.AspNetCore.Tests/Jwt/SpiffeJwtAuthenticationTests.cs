using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Mtls.AspNetCore.Authentication;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Tests.Grpc;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Testing.Jwt;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;
using Mtls.X509;

namespace Mtls.AspNetCore.Tests.Jwt;

/// <summary>
/// The <c>SpiffeJwt</c> scheme on real Kestrel (mTLS, as every endpoint here is): bearer JWT-SVIDs, the requirements
/// that read the JWT subject, and the attacks on both.
/// </summary>
public sealed class SpiffeJwtAuthenticationTests : IDisposable
{
    private const string Audience = "orders";
    private const string Web = "spiffe://example.org/web";
    private const string Proxy = TestPki.ClientId;

    private readonly TestPki _pki = new();
    private readonly X509Svid _serverSvid;
    private readonly InMemoryX509Source _source;
    private readonly TestJwtIssuer _issuer = TestJwtIssuer.Create("example.org");
    private readonly TestJwtIssuer _foreign = TestJwtIssuer.Create("other.org");

    public SpiffeJwtAuthenticationTests()
    {
        _serverSvid = _pki.Ca.IssueSvid(TestPki.ServerId);
        _source = new InMemoryX509Source(_serverSvid, _pki.Bundles());
    }

    public static TheoryData<string, string> RefusedTokens => new()
    {
        { "wrong-audience", "WrongAudience" },
        { "expired", "Expired" },
        { "unknown-kid", "UnknownKey" },
        { "wrong-key-type", "AlgorithmKeyMismatch" },
        { "alg-none", "UnsupportedAlgorithm" },
        { "alg-hs256", "UnsupportedAlgorithm" },
        { "tampered-payload", "BadSignature" },
        { "untrusted-trust-domain", "NoBundleForTrustDomain" },
        { "not-a-jwt", "NotCompact" },
    };

    [Fact]
    public async Task Valid_jwt_svid_is_accepted_with_its_subject_and_claims()
    {
        await using var server = await StartAsync();
        using var client = Client(server, Proxy);

        var response = await SendAsync(client, "/jwt/any", _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { ExtraClaims = new Dictionary<string, string> { ["tenant"] = "blue" } }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{Web}|{Web}|tenant=blue", await response.Content.ReadAsStringAsync());
        Assert.Empty(server.Logs.WithEvent("SpiffeJwtRefused"));
    }

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task Refused_token_gets_a_bare_401_and_the_rule_goes_to_the_log(string kind, string rule)
    {
        await using var server = await StartAsync();
        using var client = Client(server, Proxy);

        var response = await SendAsync(client, "/jwt/any", BrokenToken(kind));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.DoesNotContain(rule, response.Headers.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, server.Invocations);
        var refused = Assert.Single(server.Logs.WithEvent("SpiffeJwtRefused"));
        Assert.Equal(rule, refused["Rule"]);
        Assert.Equal(Proxy, refused["PeerSpiffeId"]);
    }

    [Fact]
    public async Task Request_without_a_token_gets_a_bare_bearer_challenge()
    {
        await using var server = await StartAsync();
        using var client = Client(server, Proxy);

        var response = await client.Http.GetAsync("/jwt/any");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task Grpc_service_authorizes_the_caller_by_the_jwt_svid_in_the_call_metadata()
    {
        await using var server = await StartAsync();
        using var client = Client(server, Proxy);
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = client.Handler, DisposeHttpClient = false });
        var grpc = new JwtEcho.JwtEchoClient(channel);

        var reply = await grpc.WhoAmIAsync(new WhoAmIRequest(), new Metadata { { "authorization", "Bearer " + _issuer.IssueToken(Web, Audience) } });
        var other = await Assert.ThrowsAsync<RpcException>(async () => await grpc.WhoAmIAsync(new WhoAmIRequest(), new Metadata { { "authorization", "Bearer " + _issuer.IssueToken("spiffe://example.org/batch", Audience) } }));
        var none = await Assert.ThrowsAsync<RpcException>(async () => await grpc.WhoAmIAsync(new WhoAmIRequest()));

        Assert.Equal(Web, reply.SpiffeId);
        Assert.Equal(StatusCode.PermissionDenied, other.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Equal(1, server.Invocations);
    }

    [Fact]
    public async Task Jwt_subject_requirement_admits_only_the_named_caller()
    {
        await using var server = await StartAsync();
        using var client = Client(server, Proxy);

        var web = await SendAsync(client, "/jwt/web-only", _issuer.IssueToken(Web, Audience));
        var other = await SendAsync(client, "/jwt/web-only", _issuer.IssueToken("spiffe://example.org/batch", Audience));

        Assert.Equal(HttpStatusCode.OK, web.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(1, server.Invocations);
        var denied = Assert.Single(server.Logs.WithEvent("SpiffeJwtPolicyDenied"));
        Assert.Equal("spiffe://example.org/batch", denied["JwtSpiffeId"]);
    }

    [Fact]
    public async Task Policy_demanding_both_identities_needs_the_proxy_as_peer_and_the_caller_in_the_token()
    {
        await using var server = await StartAsync();
        using var proxy = Client(server, Proxy);
        using var stranger = Client(server, "spiffe://example.org/stranger");
        string token = _issuer.IssueToken(Web, Audience);

        var throughProxy = await SendAsync(proxy, "/jwt/both", token);
        var proxyWithoutToken = await proxy.Http.GetAsync("/jwt/both");
        var strangerWithToken = await SendAsync(stranger, "/jwt/both", token);

        Assert.Equal(HttpStatusCode.OK, throughProxy.StatusCode);
        Assert.Equal($"peer {Proxy}, caller {Web}", await throughProxy.Content.ReadAsStringAsync());
        Assert.NotEqual(HttpStatusCode.OK, proxyWithoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, strangerWithToken.StatusCode);
        Assert.Equal(1, server.Invocations);
    }

    [Fact]
    public async Task Same_identity_policy_requires_the_peer_to_present_its_own_token()
    {
        await using var server = await StartAsync();
        using var web = Client(server, Web);
        using var proxy = Client(server, Proxy);
        string token = _issuer.IssueToken(Web, Audience);

        var own = await SendAsync(web, "/jwt/same", token);
        var passedOn = await SendAsync(proxy, "/jwt/same", token);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, passedOn.StatusCode);
        Assert.Equal(1, server.Invocations);
    }

    [Fact]
    public async Task Bearer_token_of_another_scheme_with_spiffe_claims_never_passes_a_jwt_subject_requirement()
    {
        var key = new SymmetricSecurityKey(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        await using var server = await StartAsync(builder => builder.Services.AddAuthentication().AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters { IssuerSigningKey = key, ValidateIssuer = false, ValidateAudience = false };
        }));
        using var client = Client(server, Proxy);
        string forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = Web, ["spiffe_id"] = Web, ["aud"] = Audience },
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });

        var bearerOnly = await SendAsync(client, "/jwt/bearer-and-jwt-subject", forged);
        var jwtPolicy = await SendAsync(client, "/jwt/web-only", forged);

        Assert.Equal(HttpStatusCode.Forbidden, bearerOnly.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, jwtPolicy.StatusCode);
        Assert.Equal(0, server.Invocations);
        Assert.All(server.Logs.WithEvent("SpiffeJwtRefused"), e => Assert.Equal("UnsupportedAlgorithm", e["Rule"]));
    }

    [Fact]
    public async Task Valid_jwt_svid_never_satisfies_an_mtls_peer_requirement()
    {
        await using var server = await StartAsync();
        using var stranger = Client(server, "spiffe://example.org/stranger");

        // /api/client-only admits the mTLS peer TestPki.ClientId; the token names exactly that ID.
        var response = await SendAsync(stranger, "/api/client-only", _issuer.IssueToken(TestPki.ClientId, Audience));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task Token_claims_cannot_shadow_the_spiffe_claims_of_the_principal()
    {
        await using var server = await StartAsync();
        using var client = Client(server, Proxy);
        string token = _issuer.IssueToken(Web, [Audience], new JwtSvidSpec
        {
            ExtraClaims = new Dictionary<string, string> { ["spiffe_id"] = "spiffe://example.org/admin", ["spiffe_path"] = "/admin" },
        });

        var response = await SendAsync(client, "/jwt/spiffe-claims", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{Web}|/web", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OnValidated_maps_claims_and_can_refuse_a_token()
    {
        await using var server = await StartAsync(configureJwt: o => o.Events.OnValidated = context =>
        {
            if (context.Svid.Id.Path == "/batch")
            {
                context.Fail("batch jobs may not call this service");
            }
            else
            {
                ((ClaimsIdentity)context.Principal!.Identity!).AddClaim(new Claim("role", "reader"));
            }

            return Task.CompletedTask;
        });
        using var client = Client(server, Proxy);

        var web = await SendAsync(client, "/jwt/role", _issuer.IssueToken(Web, Audience));
        var batch = await SendAsync(client, "/jwt/role", _issuer.IssueToken("spiffe://example.org/batch", Audience));

        Assert.Equal("reader", await web.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, batch.StatusCode);
        Assert.Equal(1, server.Invocations);
    }

    [Fact]
    public async Task Audiences_come_from_configuration_and_code()
    {
        await using var server = await StartAsync(configureJwt: o => o.Audiences.Add("billing"));
        using var client = Client(server, Proxy);

        var fromConfiguration = await SendAsync(client, "/jwt/any", _issuer.IssueToken(Web, Audience));
        var fromCode = await SendAsync(client, "/jwt/any", _issuer.IssueToken(Web, "billing"));
        var neither = await SendAsync(client, "/jwt/any", _issuer.IssueToken(Web, "reports"));

        Assert.Equal(HttpStatusCode.OK, fromConfiguration.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromCode.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, neither.StatusCode);
    }

    [Fact]
    public async Task Scheme_without_an_audience_stops_startup_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => MtlsTestServer.StartAsync(
            _source,
            configureBuilder: builder =>
            {
                builder.Services.AddSingleton<IJwtBundleSource>(new JwtBundleSet([_issuer.Bundle]));
                builder.Services.AddAuthentication().AddSpiffeJwt();
            }));

        Assert.Contains("Spiffe:Jwt:Audiences", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_minted_by_node_crypto_is_accepted_and_its_forgery_refused()
    {
        var (token, bundle) = await NodeJwtSigner.MintAsync(Web, Audience);
        var bundles = new JwtBundleSet([SpiffeBundle.Parse(TrustDomain.Parse("example.org"), bundle).JwtBundle]);
        await using var server = await StartAsync(bundles: bundles);
        using var client = Client(server, Proxy);
        string[] parts = token.Split('.');
        string forged = $"{parts[0]}.{_issuer.IssueToken("spiffe://example.org/admin", Audience).Split('.')[1]}.{parts[2]}";

        var valid = await SendAsync(client, "/jwt/web-only", token);
        var tampered = await SendAsync(client, "/jwt/any", forged);

        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        Assert.Equal("BadSignature", Assert.Single(server.Logs.WithEvent("SpiffeJwtRefused"))["Rule"]);
    }

    [Fact]
    public async Task Jwt_bundle_key_rotation_in_the_bundle_file_is_picked_up_without_restart()
    {
        string directory = Directory.CreateTempSubdirectory("mtls-jwt-").FullName;
        try
        {
            string file = Path.Combine(directory, "jwt-bundle.json");
            WriteAtomically(file, _issuer.ToJwks());
            string oldKeyToken = _issuer.IssueToken(Web, Audience);
            string oldKeyId = _issuer.KeyId;
            await using var server = await StartServerAsync(
                bundles: null,
                configuration: new()
                {
                    ["Spiffe:Jwt:Source"] = "Files",
                    ["Spiffe:Jwt:BundleFiles:example.org"] = file,
                });
            using var client = Client(server, Proxy);
            var bundleSource = (Mtls.Files.FileJwtBundleSource)server.Services.GetRequiredService<IJwtBundleSource>();

            _issuer.RotateKey();
            string newKeyToken = _issuer.IssueToken(Web, Audience);
            var beforeReload = await SendAsync(client, "/jwt/any", newKeyToken);
            await ChangeAsync(bundleSource, () => WriteAtomically(file, _issuer.ToJwks()));
            var afterReload = await SendAsync(client, "/jwt/any", newKeyToken);
            var oldStillTrusted = await SendAsync(client, "/jwt/any", oldKeyToken);
            _issuer.RemoveKey(oldKeyId);
            await ChangeAsync(bundleSource, () => WriteAtomically(file, _issuer.ToJwks()));
            var oldRetired = await SendAsync(client, "/jwt/any", oldKeyToken);

            Assert.Equal(HttpStatusCode.Unauthorized, beforeReload.StatusCode);
            Assert.Equal(HttpStatusCode.OK, afterReload.StatusCode);
            Assert.Equal(HttpStatusCode.OK, oldStillTrusted.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, oldRetired.StatusCode);
            Assert.Equal(["UnknownKey", "UnknownKey"], server.Logs.WithEvent("SpiffeJwtRefused").Select(e => e["Rule"]));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Jwt_bundles_from_the_workload_api_validate_tokens_and_follow_key_rotation()
    {
        await using var agent = new WorkloadApiServer();
        agent.AddTrustDomain(_pki.Ca);
        agent.AddJwtIssuer(_issuer);
        agent.SetIdentities(TestPki.ServerId);
        await agent.StartAsync();
        await using var server = await StartServerAsync(bundles: null, configuration: new() { ["Spiffe:EndpointSocket"] = agent.Address });
        using var client = Client(server, Proxy);
        var bundleSource = Assert.IsType<WorkloadApiJwtSource>(server.Services.GetRequiredService<IJwtBundleSource>());

        var before = await SendAsync(client, "/jwt/any", _issuer.IssueToken(Web, Audience));
        _issuer.RotateKey();
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (bundleSource.GetChangeToken().RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), changed))
        {
            agent.Refresh();
            await changed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }

        var rotated = await SendAsync(client, "/jwt/any", _issuer.IssueToken(Web, Audience));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
    }

    [Fact]
    public async Task Files_source_without_bundle_files_stops_startup_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartServerAsync(
            bundles: null,
            configuration: new() { ["Spiffe:Jwt:Source"] = "Files" }));

        Assert.Contains("Spiffe:Jwt:BundleFiles", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _source.Dispose();
        _serverSvid.Dispose();
        _issuer.Dispose();
        _foreign.Dispose();
        _pki.Dispose();
    }

    private static async Task ChangeAsync(Mtls.Files.FileJwtBundleSource source, Action change)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = source.GetChangeToken().RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), changed);
        change();
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static void WriteAtomically(string path, string content)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    private static async Task<HttpResponseMessage> SendAsync(TestClient client, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.Http.SendAsync(request);
    }

    private string BrokenToken(string kind) => kind switch
    {
        "wrong-audience" => _issuer.IssueToken(Web, "billing"),
        "expired" => _issuer.IssueToken(Web, Audience, TimeSpan.FromMinutes(-1)),
        "unknown-kid" => _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { KeyId = "not-in-the-bundle" }),
        "wrong-key-type" => _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = "RS256" }),
        "alg-none" => _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = "none" }),
        "alg-hs256" => _issuer.IssueToken(Web, [Audience], new JwtSvidSpec { Algorithm = "HS256" }),
        "tampered-payload" => Tamper(_issuer.IssueToken(Web, Audience), _issuer.IssueToken("spiffe://example.org/admin", Audience)),
        "untrusted-trust-domain" => _foreign.IssueToken("spiffe://other.org/web", Audience),
        "not-a-jwt" => "opaque-session-token",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary><paramref name="signed"/> with the payload of <paramref name="other"/>.</summary>
    private static string Tamper(string signed, string other)
    {
        string[] parts = signed.Split('.');
        return $"{parts[0]}.{other.Split('.')[1]}.{parts[2]}";
    }

    private TestClient Client(MtlsTestServer server, string id) =>
        new(server.BaseAddress, TestPki.ToClientCertificate(_pki.Ca.Issue(id)), _pki.Bundles());

    private Task<MtlsTestServer> StartAsync(
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<SpiffeJwtAuthenticationOptions>? configureJwt = null,
        IJwtBundleSource? bundles = null,
        Dictionary<string, string?>? configuration = null) =>
        StartServerAsync(bundles ?? new JwtBundleSet([_issuer.Bundle]), configuration, configureBuilder, configureJwt);

    private Task<MtlsTestServer> StartServerAsync(
        IJwtBundleSource? bundles,
        Dictionary<string, string?>? configuration,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<SpiffeJwtAuthenticationOptions>? configureJwt = null)
    {
        configuration ??= [];
        configuration["Spiffe:Jwt:Audiences:0"] = Audience;
        return MtlsTestServer.StartAsync(
            _source,
            configuration: configuration,
            configureBuilder: builder =>
            {
                if (bundles is not null)
                {
                    builder.Services.AddSingleton(bundles);
                }

                builder.Services.AddAuthentication().AddSpiffeJwt(configureJwt);
                configureBuilder?.Invoke(builder);
            },
            map: Map);
    }

    private static void Map(WebApplication app)
    {
        static void Count(HttpContext context) => context.RequestServices.GetRequiredService<InvocationCounter>().Count();
        app.MapGet("/jwt/any", (HttpContext context) =>
        {
            Count(context);
            var svid = context.GetJwtSvid()!;
            return $"{svid.Id}|{context.User.Identity!.Name}|tenant={context.User.FindFirst("tenant")?.Value}";
        }).RequireSpiffeIdMatching(SpiffeIdentity.JwtSubject, "spiffe://example.org/**");
        app.MapGrpcService<JwtEchoService>().RequireSpiffeId(SpiffeIdentity.JwtSubject, Web);
        app.MapGet("/jwt/web-only", (HttpContext context) =>
        {
            Count(context);
            return "web";
        }).RequireSpiffeId(SpiffeIdentity.JwtSubject, Web);
        app.MapGet("/jwt/both", (HttpContext context) =>
        {
            Count(context);
            return $"peer {context.GetPeerSpiffeId()}, caller {context.GetJwtSvid()!.Id}";
        }).RequireAuthorization(policy => policy.RequireSpiffeId(SpiffeIdentity.MtlsPeer, Proxy).RequireSpiffeId(SpiffeIdentity.JwtSubject, Web));
        app.MapGet("/jwt/same", (HttpContext context) =>
        {
            Count(context);
            return "same";
        }).RequireAuthorization(policy => policy.RequireSameSpiffeIdentity());
        app.MapGet("/jwt/bearer-and-jwt-subject", (HttpContext context) =>
        {
            Count(context);
            return "bearer";
        }).RequireAuthorization(new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().RequireSpiffeId(SpiffeIdentity.JwtSubject, Web).Build());
        app.MapGet("/jwt/spiffe-claims", (HttpContext context) =>
        {
            Count(context);
            return string.Join("|", context.User.FindAll(SpiffeClaimTypes.SpiffeId).Concat(context.User.FindAll(SpiffeClaimTypes.Path)).Select(c => c.Value));
        }).RequireSpiffeIdMatching(SpiffeIdentity.JwtSubject, "spiffe://example.org/**");
        app.MapGet("/jwt/role", (HttpContext context) =>
        {
            Count(context);
            return context.User.FindFirst("role")?.Value ?? "(none)";
        }).RequireSpiffeIdMatching(SpiffeIdentity.JwtSubject, "spiffe://example.org/**");
    }
}
