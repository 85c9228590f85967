using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Mtls.AspNetCore.Authorization;

/// <summary>
/// Puts the connection check (<see cref="Kestrel.SpiffeConnectionMiddleware"/>) and then
/// <see cref="SpiffeAccessRulesMiddleware"/> and the caller inventory's recorder in front of the application's own
/// pipeline, with the rule set of a
/// <see cref="SpiffeAccessPolicyMonitor"/> that this filter owns (the container disposes it with the filter).
/// </summary>
internal sealed class SpiffeAccessRulesStartupFilter : IStartupFilter, IDisposable
{
    private SpiffeAccessPolicyMonitor? _rules;

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        _rules ??= ActivatorUtilities.CreateInstance<SpiffeAccessPolicyMonitor>(app.ApplicationServices);
        app.UseMiddleware<Kestrel.SpiffeConnectionMiddleware>();
        app.UseMiddleware<SpiffeAccessRulesMiddleware>(_rules);
        app.UseMiddleware<Inventory.SpiffeCallerInventoryMiddleware>(_rules);
        next(app);
    };

    public void Dispose() => _rules?.Dispose();
}
