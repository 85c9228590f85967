using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Federation;

/// <summary>
/// One GET of a bundle endpoint: authenticated per its profile, bounded in time (<see cref="SpiffeFederationOptions.FetchTimeout"/>
/// for everything, on the injected clock) and size (<see cref="SpiffeLimits.MaxBundleDocumentBytes"/>), parsed for the
/// configured trust domain and checked against the last accepted bundle. A fresh handler per fetch: fetches are minutes
/// apart, and an <c>https_spiffe</c> fetch must trust exactly the bundle stored at that moment.
/// </summary>
internal sealed class BundleEndpointFetcher(FederatedTrustDomain endpoint, SpiffeFederationOptions options, IX509SvidSource? identity, TimeProvider time)
{
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    /// <summary>Fetches and checks a bundle; <paramref name="current"/> is the bundle trusted now (authenticates https_spiffe, orders sequences).</summary>
    /// <exception cref="BundleFetchException">The fetch failed or the bundle was refused.</exception>
    internal async Task<SpiffeBundle> FetchAsync(SpiffeBundle? current, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.FetchTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        string? refusal = null;
        using var handler = CreateHandler(current, reason => refusal = reason);
        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Url);
            request.Headers.Accept.Add(Json);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new BundleFetchException($"the endpoint answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength is > SpiffeLimits.MaxBundleDocumentBytes and long declared)
            {
                throw new BundleFetchException(SpiffeLimits.BundleDocumentOverLimit(endpoint.Url, declared));
            }

            byte[] body = await ReadBoundedAsync(response.Content, linked.Token).ConfigureAwait(false);
            SpiffeBundle bundle;
            try
            {
                bundle = SpiffeBundle.Parse(endpoint.TrustDomain, body);
            }
            catch (BundleFormatException e)
            {
                throw new BundleFetchException($"not a SPIFFE bundle ({e.Rule}): {e.Message}", e);
            }

            return BundleRules.Check(bundle, current, endpoint.Profile) is { } error
                ? throw new BundleFetchException(error)
                : bundle;
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BundleFetchException($"no complete answer within Spiffe:Federation:FetchTimeout ({options.FetchTimeout})", e);
        }
        catch (HttpRequestException e) when (refusal is not null)
        {
            throw new BundleFetchException($"the endpoint was not authenticated: {refusal}", e);
        }
        catch (HttpRequestException e)
        {
            throw new BundleFetchException($"the request failed: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : string.Empty)}", e);
        }
    }

    private SocketsHttpHandler CreateHandler(SpiffeBundle? current, Action<string> refused)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (endpoint.Profile == BundleEndpointProfile.HttpsSpiffe)
        {
            ConfigureSpiffe(ssl, current, refused);
        }
        else if (endpoint.WebRoots is { } roots)
        {
            // Only these roots, with the usual host name check; never the system's store.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(roots);
            ssl.CertificateChainPolicy = policy;
        }

        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.FetchTimeout,
            PooledConnectionLifetime = TimeSpan.Zero,
            MaxResponseHeadersLength = 64,
            SslOptions = ssl,
        };
    }

    /// <summary>
    /// https_spiffe: the server's SVID must verify against the trust domain's stored bundle only and carry the configured
    /// ID (which replaces the host name check). Our own SVID, when we have one, is presented, so that an endpoint served
    /// on an mTLS port admits us.
    /// </summary>
    private void ConfigureSpiffe(SslClientAuthenticationOptions ssl, SpiffeBundle? current, Action<string> refused)
    {
        var stored = current?.ToX509Bundle();
        var verifier = new X509SvidVerifier(stored is null ? X509BundleSet.Empty : new X509BundleSet([stored]), time);
        var expected = endpoint.EndpointId!;
        ssl.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        ssl.RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
        {
            if (certificate is not X509Certificate2 leaf)
            {
                refused("no server certificate");
                return false;
            }

            if (!verifier.TryVerify(leaf, chain?.ChainPolicy.ExtraStore, out var id, out var error))
            {
                refused($"its SVID does not verify against the stored bundle of {endpoint.TrustDomain} ({error.Rule}): {error.Message}");
                return false;
            }

            if (id != expected)
            {
                refused($"it presented {id}, not the configured EndpointSpiffeId {expected}");
                return false;
            }

            return true;
        };
        if (identity?.GetX509Svid() is { } svid)
        {
            ssl.ClientCertificateContext = TlsCertificateContext.Create(svid);
        }
    }

    private async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[16 * 1024];
            while (true)
            {
                int read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.ToArray();
                }

                if (buffer.Length + read > SpiffeLimits.MaxBundleDocumentBytes)
                {
                    throw new BundleFetchException(SpiffeLimits.BundleDocumentOverLimit(endpoint.Url, declaredBytes: null));
                }

                buffer.Write(chunk, 0, read);
            }
        }
    }
}
