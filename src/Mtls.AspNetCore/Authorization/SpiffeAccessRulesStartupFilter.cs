using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;

namespace Mtls.AspNetCore.Authorization;

/// <summary>Puts <see cref="SpiffeAccessRulesMiddleware"/> in front of the application's own pipeline.</summary>
internal sealed class SpiffeAccessRulesStartupFilter(IOptions<SpiffeMtlsOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<SpiffeAccessRulesMiddleware>(options.Value.Authorization.ToPolicy());
        next(app);
    };
}
