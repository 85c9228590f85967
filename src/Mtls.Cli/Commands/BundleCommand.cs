using System.CommandLine;
using System.Text.Json;
using Mtls.Bundles;
using Mtls.WorkloadApi;

namespace Mtls.Cli.Commands;

/// <summary><c>mtls bundle</c>: the trust domains this workload trusts, their CAs and (from the Workload API) their JWT keys.</summary>
internal static class BundleCommand
{
    internal static Command Create(CliEnvironment environment)
    {
        var identity = new IdentityOptions();
        var command = new Command("bundle", "Show the trust bundles: trust domains, X.509 authorities, JWT keys.");
        identity.AddTo(command);
        environment.SetAction(command, CliEnvironment.JsonOption(), async (parse, output, cancellationToken) =>
        {
            using var loaded = await identity.LoadAsync(parse, cancellationToken).ConfigureAwait(false);
            var jwt = identity.UsesFiles(parse) ? null : await identity.FetchAsync(parse, static (client, token) => client.FetchJwtBundlesAsync(token), cancellationToken).ConfigureAwait(false);
            Show(output, loaded.Context.Bundles, jwt);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Show(CliOutput output, X509BundleSet x509, JwtBundleSet? jwt)
    {
        var trustDomains = x509.TrustDomains.Concat(jwt?.TrustDomains ?? []).Distinct().OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        if (output.Json)
        {
            output.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("trustDomains");
                foreach (var trustDomain in trustDomains)
                {
                    w.WriteStartObject();
                    w.WriteString("trustDomain", trustDomain.Name);
                    w.WriteStartArray("x509Authorities");
                    foreach (var authority in x509.GetX509Bundle(trustDomain)?.Authorities ?? [])
                    {
                        CertificateText.Write(w, authority);
                    }

                    w.WriteEndArray();
                    if (jwt is not null)
                    {
                        w.WriteStartArray("jwtAuthorities");
                        foreach (var key in jwt.GetJwtBundle(trustDomain)?.Authorities ?? [])
                        {
                            WriteKey(w, key);
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }

        foreach (var trustDomain in trustDomains)
        {
            output.Line($"Trust domain {trustDomain}");
            foreach (var authority in x509.GetX509Bundle(trustDomain)?.Authorities ?? [])
            {
                output.Line($"  X.509 CA   {CertificateText.Line(authority)}");
            }

            foreach (var key in jwt?.GetJwtBundle(trustDomain)?.Authorities ?? [])
            {
                output.Line($"  JWT key    {key.KeyId}  {key.KeyType}{(key.Curve is null ? string.Empty : " " + key.Curve)}");
            }
        }
    }

    private static void WriteKey(Utf8JsonWriter w, JwtAuthority key)
    {
        w.WriteStartObject();
        w.WriteString("keyId", key.KeyId);
        w.WriteString("keyType", key.KeyType);
        w.WriteString("curve", key.Curve);
        w.WriteEndObject();
    }
}
