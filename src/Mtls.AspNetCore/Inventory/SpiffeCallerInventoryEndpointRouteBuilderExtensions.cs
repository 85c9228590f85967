using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Mtls.AspNetCore.Inventory;

/// <summary>Maps the caller inventory: who called what while the server was migrating, and the rule set that allows exactly that.</summary>
public static class SpiffeCallerInventoryEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the caller inventory as JSON at <paramref name="pattern"/> (GET): each distinct (peer SPIFFE ID or
    /// <c>plaintext</c>, method, route) served while an endpoint is permissive or a rule audits, with counts and first
    /// and last seen; how many calls overflowed the bound; and under <c>suggestedConfiguration</c> the ALLOW rules that
    /// admit exactly the observed calls, ready to paste into <c>appsettings.json</c> (routes with parameters widen to
    /// the prefix before the first one, listed under <c>widenedRoutes</c>). The inventory names every caller of the
    /// service, so the endpoint requires the authorization policy <paramref name="policyName"/> and never serves
    /// anonymously (a request reaching it through <c>AllowAnonymous</c> gets a bare 403). Needs <c>AddSpiffeMtls</c>
    /// (or <c>AddSpiffeKestrel</c>) and the authorization services.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="policyName"/> is null or blank.</exception>
    public static IEndpointConventionBuilder MapSpiffeCallerInventory(this IEndpointRouteBuilder endpoints, string pattern, string policyName)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        if (string.IsNullOrWhiteSpace(policyName))
        {
            throw new ArgumentException(
                "the caller inventory names every caller of this service: it needs an authorization policy of its own, "
                + "e.g. MapSpiffeCallerInventory(\"/_mtls/inventory\", \"operators\") with a policy \"operators\" that RequireSpiffeId(...)",
                nameof(policyName));
        }

        var inventory = endpoints.ServiceProvider.GetService<SpiffeCallerInventory>()
            ?? throw new InvalidOperationException("MapSpiffeCallerInventory() needs services.AddSpiffeMtls() to be called first.");
        return endpoints
            .MapGet(pattern, (HttpContext context) => ServeAsync(context, inventory))
            .RequireAuthorization(policyName)
            .WithMetadata(new SpiffeCallerInventoryEndpoint());
    }

    private static async Task ServeAsync(HttpContext context, SpiffeCallerInventory inventory)
    {
        // AllowAnonymous added after mapping would make the authorization middleware skip the policy.
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Indented = true });
        SpiffeCallerInventoryReport.Write(writer, inventory);
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
