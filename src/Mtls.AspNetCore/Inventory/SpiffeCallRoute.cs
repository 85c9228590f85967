using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mtls.AspNetCore.Inventory;

/// <summary>
/// How a served request is named in the plaintext log, the inventory and their metrics: the route template routing
/// chose (a fixed set the application defines, so safe as a metric tag and a log-limiter reason) and the method, never
/// the raw path or a method string the caller invented.
/// </summary>
internal static class SpiffeCallRoute
{
    /// <summary>The route of a request that reached no endpoint.</summary>
    internal const string NoRoute = "(no route)";

    /// <summary>The method of a request whose method is not one of the standard HTTP methods.</summary>
    internal const string OtherMethod = "_OTHER";

    /// <summary>The template of the endpoint that served <paramref name="context"/>, with a leading slash; <see cref="NoRoute"/> without one.</summary>
    internal static string Template(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } raw }
            ? (raw.StartsWith('/') ? raw : "/" + raw)
            : NoRoute;

    /// <summary>The request's method in canonical form when standard, else <see cref="OtherMethod"/>.</summary>
    internal static string Method(HttpRequest request)
    {
        string method = HttpMethods.GetCanonicalizedValue(request.Method);
        return HttpMethods.IsGet(method) || HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method)
            || HttpMethods.IsPatch(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)
            || HttpMethods.IsConnect(method)
            ? method
            : OtherMethod;
    }
}
