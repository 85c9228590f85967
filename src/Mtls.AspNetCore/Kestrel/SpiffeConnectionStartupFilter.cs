using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Mtls.AspNetCore.Kestrel;

/// <summary>
/// Puts Mtls's one middleware (<see cref="SpiffeConnectionMiddleware"/>: the connection check, then the rule
/// set of <see cref="Authorization.SpiffeAccessRules"/> and the caller inventory's recorder) in front of the application's own
/// pipeline.
/// </summary>
internal sealed class SpiffeConnectionStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<SpiffeConnectionMiddleware>();
        next(app);
    };
}
