using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore;

namespace Gateway;

/// <summary>
/// The gateway: terminates SPIFFE mTLS from callers, applies the rule set of <c>Spiffe:Authorization</c> by caller ID,
/// and forwards the routes of <c>ReverseProxy</c> to backends over SPIFFE mTLS, each cluster's backends proving the
/// SPIFFE ID of its <c>Metadata:SpiffeId</c>.
/// </summary>
public static class GatewayServer
{
    /// <summary>
    /// Builds the gateway listening on <paramref name="url"/> (port 0 picks a free one). Identity, rules, routes and
    /// clusters come from configuration (<c>Spiffe</c> and <c>ReverseProxy</c> sections: environment variables,
    /// appsettings.json or <paramref name="settings"/>).
    /// </summary>
    public static WebApplication Build(string url, IReadOnlyDictionary<string, string?>? settings = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(url);

        builder.Services.AddSpiffeMtls();
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddSpiffeForwarding();

        var app = builder.Build();
        app.MapReverseProxy();
        return app;
    }
}
