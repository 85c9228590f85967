using System.Text.Json;
using Mtls.Authorization;

namespace Mtls.AspNetCore.Inventory;

/// <summary>
/// The inventory as JSON, with the rule set that allows exactly what was observed, in the shape of
/// <c>Spiffe:Authorization</c> (<see cref="SpiffeAccessRuleOptions"/>): one ALLOW rule per (peer, route) with the
/// methods seen, the exact SPIFFE ID as principal, and <c>NotPrincipals: ["*"]</c> for plaintext callers (which matches
/// only a request without a peer). A route template with parameters becomes the prefix before its first parameter
/// (rules match paths, not templates), and is listed under <c>widenedRoutes</c>; calls that reached no route or used a
/// non-standard method get no rule.
/// </summary>
internal static class SpiffeCallerInventoryReport
{
    /// <summary>The rules that allow the observed calls, named <c>observed-1</c>, <c>observed-2</c>, ...</summary>
    internal static IReadOnlyList<SpiffeAccessRuleOptions> SuggestRules(IEnumerable<SpiffeObservedCall> calls, out IReadOnlyList<string> widenedRoutes)
    {
        var widened = new SortedSet<string>(StringComparer.Ordinal);
        var rules = new List<SpiffeAccessRuleOptions>();
        var groups = calls
            .Where(c => c.Route != SpiffeCallRoute.NoRoute && c.Method != SpiffeCallRoute.OtherMethod)
            .GroupBy(c => (c.Peer, c.Route))
            .OrderBy(g => g.Key.Peer, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Route, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var rule = new SpiffeAccessRuleOptions { Name = $"observed-{rules.Count + 1}", Action = PeerAccessAction.Allow };
            if (group.Key.Peer == SpiffeInventoryTelemetry.Plaintext)
            {
                rule.NotPrincipals.Add("*");
            }
            else
            {
                rule.Principals.Add(group.Key.Peer);
            }

            rule.Paths.Add(PathPattern(group.Key.Route, out bool isWidened));
            if (isWidened)
            {
                widened.Add(group.Key.Route);
            }

            foreach (string method in group.Select(c => c.Method).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                rule.Methods.Add(method);
            }

            rules.Add(rule);
        }

        widenedRoutes = [.. widened];
        return rules;
    }

    /// <summary>Writes the inventory report.</summary>
    internal static void Write(Utf8JsonWriter writer, SpiffeCallerInventory inventory)
    {
        var calls = inventory.Snapshot();
        var rules = SuggestRules(calls, out var widenedRoutes);
        writer.WriteStartObject();
        writer.WriteNumber("maxEntries", inventory.MaxEntries);
        writer.WriteNumber("overflow", inventory.Overflow);
        writer.WriteStartArray("calls");
        foreach (var call in calls)
        {
            writer.WriteStartObject();
            writer.WriteString("peer", call.Peer);
            writer.WriteString("method", call.Method);
            writer.WriteString("route", call.Route);
            writer.WriteNumber("count", call.Count);
            writer.WriteString("firstSeen", call.FirstSeen);
            writer.WriteString("lastSeen", call.LastSeen);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("widenedRoutes");
        foreach (string route in widenedRoutes)
        {
            writer.WriteStringValue(route);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("suggestedConfiguration");
        writer.WriteStartObject(SpiffeMtlsOptions.SectionName);
        writer.WriteStartObject(nameof(SpiffeMtlsOptions.Authorization));
        writer.WriteStartArray(nameof(SpiffeAuthorizationRulesOptions.Rules));
        foreach (var rule in rules)
        {
            WriteRule(writer, rule);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter writer, SpiffeAccessRuleOptions rule)
    {
        writer.WriteStartObject();
        writer.WriteString(nameof(SpiffeAccessRuleOptions.Name), rule.Name);
        writer.WriteString(nameof(SpiffeAccessRuleOptions.Action), rule.Action.ToString());
        WriteList(writer, nameof(SpiffeAccessRuleOptions.Principals), rule.Principals);
        WriteList(writer, nameof(SpiffeAccessRuleOptions.NotPrincipals), rule.NotPrincipals);
        WriteList(writer, nameof(SpiffeAccessRuleOptions.Paths), rule.Paths);
        WriteList(writer, nameof(SpiffeAccessRuleOptions.Methods), rule.Methods);
        writer.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter writer, string name, IList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    /// <summary>The rule path for a route template: the template itself, or the prefix before its first parameter.</summary>
    internal static string PathPattern(string route, out bool widened)
    {
        int parameter = route.IndexOf('{', StringComparison.Ordinal);
        widened = parameter >= 0;
        if (widened)
        {
            return route[..parameter] + "*";
        }

        return RequestPath.TryNormalize(route, out string? normal) ? normal : route;
    }
}
