using System.CommandLine;
using System.Text.Json;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.WorkloadApi;

namespace Mtls.Cli.Commands;

/// <summary>
/// <c>mtls jwt fetch</c> (a JWT-SVID from the Workload API for one or more audiences) and <c>mtls jwt validate</c> (a
/// token against the agent's JWT bundles or a bundle file, naming the rule it breaks).
/// </summary>
internal static class JwtCommand
{
    internal static Command Create(CliEnvironment environment)
    {
        var command = new Command("jwt", "Fetch or validate JWT-SVIDs.");
        command.Subcommands.Add(Fetch(environment));
        command.Subcommands.Add(Validate(environment));
        return command;
    }

    private static Command Fetch(CliEnvironment environment)
    {
        var identity = new IdentityOptions();
        var audiences = new Option<string[]>("--audience", "-a") { Description = "audience (repeat for several)", Required = true, Arity = ArgumentArity.OneOrMore };
        var subject = new Option<string?>("--subject") { Description = "the SPIFFE ID to fetch for, when the workload has several" };
        var command = new Command("fetch", "Fetch a JWT-SVID from the Workload API.") { audiences, subject };
        identity.AddTo(command);
        environment.SetAction(command, CliEnvironment.JsonOption(), async (parse, output, cancellationToken) =>
        {
            var id = parse.GetValue(subject) is { } text ? ParseId(text, "--subject") : null;
            var svids = await identity.FetchAsync(parse, (client, token) => client.FetchJwtSvidsAsync(parse.GetValue(audiences)!, id, token), cancellationToken).ConfigureAwait(false);
            Show(output, svids, environment.Time, includeToken: true);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Validate(CliEnvironment environment)
    {
        var identity = new IdentityOptions();
        var token = new Argument<string>("token") { Description = "the JWT-SVID (compact form)" };
        var audience = new Option<string>("--audience", "-a") { Description = "the audience this service expects", Required = true };
        var bundle = new Option<string?>("--bundle") { Description = "validate against this SPIFFE bundle or JWKS file instead of the agent's JWT bundles" };
        var trustDomain = new Option<string?>("--trust-domain") { Description = "with --bundle: the trust domain it belongs to (default: the token's)" };
        var command = new Command("validate", "Validate a JWT-SVID; on failure, say which rule it breaks (exit 1).") { token, audience, bundle, trustDomain };
        identity.AddTo(command);
        environment.SetAction(command, CliEnvironment.JsonOption(), async (parse, output, cancellationToken) =>
        {
            string value = parse.GetValue(token)!.Trim();
            var bundles = parse.GetValue(bundle) is { } path
                ? LoadBundleFile(path, parse.GetValue(trustDomain), value)
                : await identity.FetchAsync(parse, static (client, token) => client.FetchJwtBundlesAsync(token), cancellationToken).ConfigureAwait(false);
            try
            {
                var svid = new JwtSvidValidator(bundles, environment.Time).Validate(value, parse.GetValue(audience)!);
                Show(output, [svid], environment.Time, includeToken: false);
                return ExitCodes.Ok;
            }
            catch (JwtSvidException e)
            {
                if (output.Json)
                {
                    output.WriteJson(w =>
                    {
                        w.WriteStartObject();
                        w.WriteBoolean("valid", false);
                        w.WriteString("rule", e.Rule.ToString());
                        w.WriteString("reason", e.Message);
                        w.WriteEndObject();
                    });
                }
                else
                {
                    output.Line($"invalid JWT-SVID ({e.Rule}): {e.Message}");
                }

                return ExitCodes.Invalid;
            }
        });
        return command;
    }

    /// <summary>A bundle file (SPIFFE bundle or plain JWKS) for <paramref name="trustDomain"/>, or the token's own trust domain.</summary>
    private static JwtBundleSet LoadBundleFile(string path, string? trustDomain, string token)
    {
        TrustDomain domain;
        if (trustDomain is not null)
        {
            domain = TrustDomain.TryParse(trustDomain, out var parsed) ? parsed : throw new CliException(ExitCodes.Usage, $"--trust-domain '{trustDomain}' is not a trust domain name");
        }
        else
        {
            try
            {
                domain = JwtSvid.ParseInsecure(token).Id.TrustDomain;
            }
            catch (JwtSvidException e)
            {
                throw new CliException(ExitCodes.Invalid, $"invalid JWT-SVID ({e.Rule}): {e.Message}", e);
            }
        }

        try
        {
            return new JwtBundleSet([SpiffeBundle.Parse(domain, File.ReadAllBytes(path)).ToJwtBundle()]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot read {path}: {e.Message}", e);
        }
        catch (BundleFormatException e)
        {
            throw new CliException(ExitCodes.Usage, $"{path} is not a SPIFFE bundle ({e.Rule}): {e.Message}", e);
        }
    }

    private static SpiffeId ParseId(string text, string option) =>
        SpiffeId.TryParse(text, out var id) ? id : throw new CliException(ExitCodes.Usage, $"{option} '{text}' is not a SPIFFE ID");

    private static void Show(CliOutput output, IReadOnlyList<JwtSvid> svids, TimeProvider time, bool includeToken)
    {
        var now = time.GetUtcNow();
        if (output.Json)
        {
            output.WriteJson(w =>
            {
                w.WriteStartObject();
                if (!includeToken)
                {
                    w.WriteBoolean("valid", true);
                }

                w.WriteStartArray("svids");
                foreach (var svid in svids)
                {
                    w.WriteStartObject();
                    w.WriteString("id", svid.Id.ToString());
                    w.WriteStartArray("audience");
                    foreach (string a in svid.Audience)
                    {
                        w.WriteStringValue(a);
                    }

                    w.WriteEndArray();
                    w.WriteString("expiry", CertificateText.Time(svid.Expiry));
                    w.WriteString("hint", svid.Hint);
                    if (includeToken)
                    {
                        w.WriteString("token", svid.Token);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }

        foreach (var svid in svids)
        {
            output.Line($"{(includeToken ? string.Empty : "valid JWT-SVID  ")}SPIFFE ID {svid.Id}  audience {string.Join(",", svid.Audience)}  expires {CertificateText.Time(svid.Expiry)} ({CertificateText.Remaining(svid.Expiry, now)})");
            if (includeToken)
            {
                output.Line(svid.Token);
            }
        }
    }
}
