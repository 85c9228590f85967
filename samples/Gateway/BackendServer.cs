using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore;
using Mtls.AspNetCore.Authorization;
using Mtls.Identity;

namespace Gateway;

/// <summary>
/// A backend behind the gateway: SPIFFE mTLS on every endpoint, only the gateway admitted, and the original caller
/// read from <see cref="ForwardedCaller.HeaderName"/> because the peer is the gateway.
/// </summary>
public static class BackendServer
{
    /// <summary>Builds a backend named <paramref name="name"/> on <paramref name="url"/>, answering any path with a <see cref="BackendView"/>.</summary>
    public static WebApplication Build(
        string name,
        string url,
        SpiffeId gateway,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(url);
        builder.Services.AddSpiffeMtls();

        var app = builder.Build();
        app.MapGet("/{**path}", (HttpContext context) => new BackendView(
                name,
                context.Request.Path.Value ?? "/",
                context.GetPeerSpiffeId()?.ToString() ?? "(none)",
                context.GetForwardedCaller(gateway)?.ToString()))
            .RequireSpiffeId(gateway.ToString());
        return app;
    }
}
