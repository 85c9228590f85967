using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Puts the connection check (<see cref="Kestrel.SpiffeConnectionMiddleware"/>) and then
/// <see cref="SpiffeAccessRulesMiddleware"/> in front of the application's own pipeline.
/// </summary>
internal sealed class SpiffeAccessRulesStartupFilter(IOptions<SpiffeMtlsOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<Kestrel.SpiffeConnectionMiddleware>();
        app.UseMiddleware<SpiffeAccessRulesMiddleware>(options.Value.Authorization.ToPolicy());
        next(app);
    };
}
