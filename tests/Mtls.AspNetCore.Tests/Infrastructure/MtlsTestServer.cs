using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore.Authentication;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Tests.Grpc;
using Mtls.Hosting;
using Mtls.Sources;

namespace Mtls.AspNetCore.Tests.Infrastructure;

/// <summary>A real Kestrel on 127.0.0.1 (port 0) with SPIFFE mTLS, counting every endpoint invocation.</summary>
public sealed class MtlsTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly InvocationCounter _invocations;

    private MtlsTestServer(WebApplication app, TestLoggerProvider logs)
    {
        _app = app;
        Logs = logs;
        _invocations = app.Services.GetRequiredService<InvocationCounter>();
    }

    public TestLoggerProvider Logs { get; }

    public IServiceProvider Services => _app.Services;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>How many times any endpoint handler ran.</summary>
    public int Invocations => _invocations.Value;

    public static async Task<MtlsTestServer> StartAsync(
        IX509Source? source,
        Action<SpiffeMtlsOptions>? configure = null,
        IReadOnlyDictionary<string, string?>? configuration = null,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<SpiffeX509SourceOptions>? configureSource = null,
        Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("https://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        var logs = new TestLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information);
        if (source is not null)
        {
            builder.Services.AddSpiffeX509Source(source, configureSource);
        }
        else
        {
            builder.Services.AddSpiffeX509Source(configureSource);
        }

        builder.Services.AddSpiffeMtls(configure);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<InvocationCounter>();
        configureBuilder?.Invoke(builder);

        var app = builder.Build();
        var server = new MtlsTestServer(app, logs);
        server.Map(app);
        map?.Invoke(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        server.BaseAddress = new Uri(app.Urls.Single());
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Counts an invocation of an endpoint a test mapped itself.</summary>
    public void CountInvocation() => _invocations.Count();

    private void Map(WebApplication app)
    {
        app.MapGet("/api/hello", (HttpContext context) =>
        {
            CountInvocation();
            return context.GetPeerSpiffeId()?.ToString() ?? "(none)";
        });
        app.MapGet("/api/secret", () =>
        {
            CountInvocation();
            return "secret";
        });
        app.MapGet("/api/client-only", () =>
        {
            CountInvocation();
            return "client";
        }).RequireSpiffeId(TestPki.ClientId);
        app.MapGet("/api/trust-domain", () =>
        {
            CountInvocation();
            return "td";
        }).RequireTrustDomain("example.org");
        app.MapGet("/api/pattern", () =>
        {
            CountInvocation();
            return "pattern";
        }).RequireSpiffeIdMatching("spiffe://example.org/ns/*/sa/web");
        app.MapGet("/api/local-certificate", (HttpContext context) =>
            context.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ISslStreamFeature>()?.SslStream.LocalCertificate?.GetSerialNumberString() ?? "none");
        app.MapGet("/api/user", (HttpContext context) =>
            $"{context.User.Identity?.AuthenticationType}:{context.User.Identity?.IsAuthenticated}:{context.User.Identity?.Name}");
        app.MapGet("/api/claims", (HttpContext context) =>
        {
            CountInvocation();
            return string.Join(";", context.User.Claims.Select(c => $"{c.Type}={c.Value}"));
        }).RequireAuthorization(policy => policy.AddAuthenticationSchemes(SpiffeAuthenticationDefaults.AuthenticationScheme).RequireAuthenticatedUser());
        app.MapGrpcService<EchoService>().RequireSpiffeId(TestPki.ClientId);
    }
}
