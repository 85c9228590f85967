using Microsoft.AspNetCore.Http;
using Mtls.AspNetCore.Authorization;
using Mtls.Authorization;

namespace Mtls.AspNetCore.Inventory;

/// <summary>
/// Applied by the connection middleware after the rule set admitted a request: records it in the
/// <see cref="SpiffeCallerInventory"/> while the server is migrating (some endpoint is permissive, or the rule set in
/// force holds an AUDIT rule). The route is read once the request's response starts, when routing has chosen it.
/// Otherwise it costs one reference compare per request.
/// </summary>
internal sealed class SpiffeCallerInventoryRecorder(SpiffeAccessPolicyMonitor rules, SpiffeCallerInventory inventory, SpiffeServerTls tls)
{
    private readonly bool _permissive = tls.Options.PermissivePorts.Count > 0;
    private volatile AuditState _audit = new(PeerAccessPolicy.Empty, false);

    /// <summary>Records <paramref name="context"/>'s request when its response starts, if the server is migrating.</summary>
    internal void Observe(HttpContext context)
    {
        if (IsRecording())
        {
            context.Response.OnStarting(static state =>
            {
                var (recorder, context) = ((SpiffeCallerInventoryRecorder, HttpContext))state;
                recorder.Record(context);
                return Task.CompletedTask;
            }, (this, context));
        }
    }

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
