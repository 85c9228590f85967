using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore;
using Mtls.AspNetCore.Authentication;
using Mtls.AspNetCore.Authorization;
using Mtls.Authorization;
using Mtls.Hosting;
using Mtls.Http;
using Mtls.Jwt;
using Mtls.Sources;
using Shop;

namespace Demo;

/// <summary>
/// Identity across a TLS-terminating proxy: the frontend calls billing through an ingress gateway that ends the
/// frontend's mTLS and opens its own to billing. Billing's mTLS peer is therefore the gateway; the frontend proves
/// itself with a JWT-SVID for billing's audience, which the gateway forwards. Billing's policy demands both: the
/// gateway as the peer and the frontend as the token's subject.
/// </summary>
internal sealed class ProxyScenario : IAsyncDisposable
{
    public const string Billing = "spiffe://cluster.local/ns/shop/sa/billing";
    public const string Gateway = "spiffe://cluster.local/ns/ingress/sa/gateway";

    private readonly WebApplication _billing;
    private readonly WebApplication _gateway;
    private readonly IHost _caller;
    private readonly TaskCompletionSource<JwtSvidRule> _firstRefusal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProxyScenario(WebApplication billing, WebApplication gateway, IHost caller)
    {
        _billing = billing;
        _gateway = gateway;
        _caller = caller;
    }

    /// <summary>The rule of the first JWT-SVID billing refused (from its <c>OnFailed</c> event).</summary>
    public Task<JwtSvidRule> FirstRefusal => _firstRefusal.Task;

    /// <summary>Starts billing, the gateway in front of it, and the frontend's client, each with its own agent's identity.</summary>
    public static async Task<ProxyScenario> StartAsync(
        IReadOnlyDictionary<string, string?> billingIdentity,
        IReadOnlyDictionary<string, string?> gatewayIdentity,
        IReadOnlyDictionary<string, string?> frontendIdentity)
    {
        ProxyScenario? scenario = null;
        var billing = BuildBilling(billingIdentity, rule => scenario?._firstRefusal.TrySetResult(rule));
        await billing.StartAsync();
        var gateway = BuildGateway(gatewayIdentity, new Uri(billing.Urls.Single()));
        await gateway.StartAsync();
        var caller = BuildCaller(frontendIdentity, new Uri(gateway.Urls.Single()));
        await caller.StartAsync();
        scenario = new ProxyScenario(billing, gateway, caller);
        return scenario;
    }

    /// <summary>The frontend's call through the gateway, with its JWT-SVID for billing attached by <c>AddSpiffeJwt</c>.</summary>
    public async Task<(int Status, string Body)> CallAsync(CancellationToken cancellationToken)
    {
        var client = _caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient("gateway");
        using var response = await client.GetAsync(new Uri("/invoices/2001", UriKind.Relative), cancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>
    /// A token the frontend holds for orders, replayed to billing through the gateway (as a gateway that kept it, or a
    /// log that leaked it, could): the status and body of the answer.
    /// </summary>
    public async Task<(int Status, string Body)> ReplayAsync(CancellationToken cancellationToken)
    {
        var forOrders = await _caller.Services.GetRequiredService<IJwtSvidSource>().GetJwtSvidAsync([ShopIds.Orders], cancellationToken: cancellationToken);
        var client = _caller.Services.GetRequiredService<IHttpClientFactory>().CreateClient("gateway-without-jwt");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/invoices/2001");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", forOrders.Token);
        using var response = await client.SendAsync(request, cancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        await _caller.StopAsync();
        _caller.Dispose();
        await _gateway.DisposeAsync();
        await _billing.DisposeAsync();
    }

    private static WebApplication BuildBilling(IReadOnlyDictionary<string, string?> identity, Action<JwtSvidRule> refused)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(identity);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Spiffe:Jwt:Audiences:0"] = Billing });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("https://127.0.0.1:0");
        builder.Services.AddSpiffeMtls();
        builder.Services.AddAuthentication().AddSpiffeJwt(o => o.Events.OnFailed = context =>
        {
            refused(context.Rule);
            return Task.CompletedTask;
        });

        var app = builder.Build();
        app.MapGet("/invoices/{id}", (string id, HttpContext context) =>
                $"invoice {id} for {context.GetJwtSvid()!.Id}, mTLS peer {context.GetPeerSpiffeId()}")
            .RequireAuthorization(policy => policy
                .RequireSpiffeId(SpiffeIdentity.MtlsPeer, Gateway)
                .RequireSpiffeId(SpiffeIdentity.JwtSubject, ShopIds.Frontend));
        return app;
    }

    /// <summary>A tiny forwarder: ends the caller's mTLS, calls billing over its own, passes on the method, path and Authorization header.</summary>
    private static WebApplication BuildGateway(IReadOnlyDictionary<string, string?> identity, Uri billing)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(identity);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("https://127.0.0.1:0");
        builder.Services.AddSpiffeMtls();
        builder.Services.AddHttpClient("billing", c => c.BaseAddress = billing).AddSpiffeMtls(Authorizer.Id(Billing));

        var app = builder.Build();
        app.Map("/{**path}", async (HttpContext context, IHttpClientFactory clients) =>
        {
            using var forwarded = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
            if (context.Request.Headers.Authorization is { Count: 1 } authorization)
            {
                forwarded.Headers.TryAddWithoutValidation("Authorization", authorization.ToString());
            }

            using var response = await clients.CreateClient("billing").SendAsync(forwarded, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Headers.WwwAuthenticate.Count > 0)
            {
                context.Response.Headers.WWWAuthenticate = response.Headers.WwwAuthenticate.ToString();
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        return app;
    }

    private static IHost BuildCaller(IReadOnlyDictionary<string, string?> identity, Uri gateway)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(identity);
        builder.Logging.ClearProviders();
        builder.Services.AddSpiffeX509Source();
        builder.Services.AddHttpClient("gateway", c => c.BaseAddress = gateway).AddSpiffeMtls(Authorizer.Id(Gateway)).AddSpiffeJwt(Billing);
        builder.Services.AddHttpClient("gateway-without-jwt", c => c.BaseAddress = gateway).AddSpiffeMtls(Authorizer.Id(Gateway));
        return builder.Build();
    }
}
