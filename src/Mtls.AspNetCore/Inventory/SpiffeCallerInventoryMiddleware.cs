using Microsoft.AspNetCore.Http;
using Mtls.AspNetCore.Authorization;
using Mtls.Authorization;

namespace Mtls.AspNetCore.Inventory;

/// <summary>
/// After the rule set, records each served request in the <see cref="SpiffeCallerInventory"/> while the server is
/// migrating: some endpoint is permissive, or the rule set in force holds an AUDIT rule. The route is read once the
/// request's response starts, when routing has chosen it. Otherwise it costs one reference compare per request.
/// </summary>
internal sealed class SpiffeCallerInventoryMiddleware(RequestDelegate next, SpiffeAccessPolicyMonitor rules, SpiffeCallerInventory inventory, SpiffeServerTls tls)
{
    private readonly bool _permissive = tls.Options.PermissivePorts.Count > 0;
    private volatile AuditState _audit = new(PeerAccessPolicy.Empty, false);

    public Task InvokeAsync(HttpContext context) => IsRecording() ? RecordAsync(context) : next(context);

    private bool IsRecording()
    {
        if (_permissive)
        {
            return true;
        }

        var policy = rules.Current;
        var audit = _audit;
        if (!ReferenceEquals(audit.Policy, policy))
        {
            audit = new AuditState(policy, policy.Rules.Any(r => r.Action == PeerAccessAction.Audit));
            _audit = audit;
        }

        return audit.Audits;
    }

    /// <summary>Records the request once routing has chosen its endpoint, before the response starts (so before the caller sees it).</summary>
    private Task RecordAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var (middleware, context) = ((SpiffeCallerInventoryMiddleware, HttpContext))state;
            middleware.Record(context);
            return Task.CompletedTask;
        }, (this, context));
        return next(context);
    }

    private void Record(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<SpiffeCallerInventoryEndpoint>() is not null)
        {
            return;
        }

        string peer = (context.Features.Get<ISpiffePeerFeature>() as SpiffePeerFeature)?.Id.ToString() ?? SpiffeInventoryTelemetry.Plaintext;
        string method = SpiffeCallRoute.Method(context.Request);
        string route = SpiffeCallRoute.Template(context);
        if (inventory.Record(peer, method, route))
        {
            SpiffeInventoryTelemetry.InventoryCalls.Add(
                1,
                new(Telemetry.MtlsTelemetry.PeerSpiffeIdTag, peer),
                new(SpiffeInventoryTelemetry.MethodTag, method),
                new(SpiffeInventoryTelemetry.RouteTag, route));
        }
        else
        {
            SpiffeInventoryTelemetry.InventoryOverflow.Add(1);
        }
    }

    private sealed record AuditState(PeerAccessPolicy Policy, bool Audits);
}
