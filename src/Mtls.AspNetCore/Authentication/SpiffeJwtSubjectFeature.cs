using Mtls.Jwt;

namespace Mtls.AspNetCore.Authentication;

/// <summary>
/// The JWT-SVIDs the JWT-SVID scheme validated for this request, by scheme name. Only that handler creates it (the type
/// is internal), after validation and its <c>OnValidated</c> event: a claim, a principal or any other scheme can never
/// put a subject here, so the JWT requirements read only what this library verified.
/// </summary>
internal sealed class SpiffeJwtSubjectFeature
{
    private readonly Dictionary<string, JwtSvid> _byScheme = new(StringComparer.Ordinal);

    internal static void Add(Microsoft.AspNetCore.Http.HttpContext context, string scheme, JwtSvid svid)
    {
        var feature = context.Features.Get<SpiffeJwtSubjectFeature>();
        if (feature is null)
        {
            feature = new SpiffeJwtSubjectFeature();
            context.Features.Set(feature);
        }

        feature._byScheme[scheme] = svid;
    }

    /// <summary>The JWT-SVID <paramref name="scheme"/> validated for the request, or null.</summary>
    internal static JwtSvid? Get(Microsoft.AspNetCore.Http.HttpContext? context, string scheme) =>
        context?.Features.Get<SpiffeJwtSubjectFeature>() is { } feature && feature._byScheme.TryGetValue(scheme, out var svid) ? svid : null;
}
