using System.Text;
using Microsoft.AspNetCore.Http;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;

namespace Mtls.AspNetCore.Federation;

/// <summary>
/// Writes this trust domain's bundle, as the service's own source holds it, in the SPIFFE bundle format. The document
/// is built once per change of the source's X.509 or JWT bundle; a request only copies bytes.
/// </summary>
internal sealed class SpiffeBundlePublisher(IX509Source source, TrustDomain? configuredTrustDomain, IJwtBundleSource? jwtSource, TimeSpan refreshHint)
{
    private Document? _document;

    internal async Task WriteAsync(HttpContext context)
    {
        var document = Current();
        context.Response.Headers.CacheControl = "no-store";
        if (document is null)
        {
            // No SVID or no bundle yet: a client keeps the bundle it has.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength = document.Json.Length;
        await context.Response.Body.WriteAsync(document.Json, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The sequence number of a bundle: the sum of its oldest and newest authority's notBefore (Unix seconds). It grows
    /// when a newer CA is published and again when the oldest is withdrawn, the two steps of a rotation, and every
    /// replica and every restart computes the same number for the same authorities, with no state to keep.
    /// </summary>
    internal static ulong SequenceOf(X509Bundle bundle)
    {
        if (bundle.IsEmpty)
        {
            return 0;
        }

        long oldest = long.MaxValue;
        long newest = long.MinValue;
        foreach (var authority in bundle.Authorities)
        {
            long notBefore = new DateTimeOffset(authority.NotBefore.ToUniversalTime(), TimeSpan.Zero).ToUnixTimeSeconds();
            oldest = Math.Min(oldest, notBefore);
            newest = Math.Max(newest, notBefore);
        }

        return (ulong)Math.Max(0, oldest) + (ulong)Math.Max(0, newest);
    }

    private Document? Current()
    {
        var trustDomain = configuredTrustDomain ?? source.GetX509Svid()?.Id.TrustDomain;
        var x509 = trustDomain is null ? null : source.Current?.Bundles.GetX509Bundle(trustDomain);
        if (x509 is null)
        {
            return null;
        }

        var jwt = jwtSource?.GetJwtBundle(trustDomain!);
        var document = Volatile.Read(ref _document);
        if (document is not null && ReferenceEquals(document.X509, x509) && ReferenceEquals(document.Jwt, jwt))
        {
            return document;
        }

        var bundle = SpiffeBundle.FromBundles(x509, jwt, SequenceOf(x509), refreshHint);
        document = new Document(x509, jwt, Encoding.UTF8.GetBytes(bundle.ToJson()));
        Volatile.Write(ref _document, document);
        return document;
    }

    private sealed record Document(X509Bundle X509, JwtBundle? Jwt, byte[] Json);
}
