using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mtls.Authorization;
using Mtls.Http;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Telemetry;

namespace Mtls.Cli.Commands;

/// <summary>
/// <c>mtls inventory URL|FILE</c>: the caller inventory a server exposes (<c>MapSpiffeCallerInventory</c>), fetched over
/// mTLS with this workload's SVID or read from a saved file, drawn as a who-calls-whom table with the plaintext
/// callers that still need to move to mTLS.
/// </summary>
internal static class InventoryCommand
{
    /// <summary>Inventory documents larger than this are refused (the server bounds its inventory; this bounds what we read).</summary>
    internal const int MaxDocumentBytes = 32 * 1024 * 1024;

    internal static Command Create(CliEnvironment environment)
    {
        var identity = new IdentityOptions();
        var source = new Argument<string>("source") { Description = "https://host:port/path of the inventory endpoint, or a file holding its JSON" };
        var serverId = new Option<string?>("--id") { Description = "with a URL: the server's SPIFFE ID (default: any ID of our trust domain)" };
        var rules = new Option<bool>("--rules") { Description = "print only the suggested rule set (JSON ready to paste into appsettings.json)" };
        var command = new Command("inventory", "Who calls whom: the caller inventory of a server, as a table.") { source, serverId, rules };
        identity.AddTo(command);
        environment.SetAction(command, CliEnvironment.JsonOption(), async (parse, output, cancellationToken) =>
        {
            string where = parse.GetValue(source)!;
            string json = where.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                ? await FetchAsync(parse, identity, where, parse.GetValue(serverId), cancellationToken).ConfigureAwait(false)
                : ReadFile(where);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(json);
            }
            catch (JsonException e)
            {
                throw new CliException(ExitCodes.Invalid, $"{where} is not a caller inventory: {e.Message}", e);
            }

            using (document)
            {
                if (parse.GetValue(rules))
                {
                    if (!document.RootElement.TryGetProperty("suggestedConfiguration", out var suggested))
                    {
                        throw new CliException(ExitCodes.Invalid, $"{where} is not a caller inventory: no \"suggestedConfiguration\"");
                    }

                    output.WriteJson(suggested.WriteTo);
                }
                else
                {
                    Show(output, document, where);
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<string> FetchAsync(ParseResult parse, IdentityOptions identity, string url, string? serverId, CancellationToken cancellationToken)
    {
        using var loaded = await identity.LoadAsync(parse, cancellationToken).ConfigureAwait(false);
        var authorizer = serverId is null ? Authorizer.MemberOf(loaded.Svid.Id.TrustDomain)
            : SpiffeId.TryParse(serverId, out var id) ? Authorizer.Id(id)
            : throw new CliException(ExitCodes.Usage, $"--id '{serverId}' is not a SPIFFE ID");
        using var source = new InMemoryX509Source(loaded.Svid, loaded.Context.Bundles);
        using var http = new HttpClient(SpiffeHttpHandlerFactory.Create(source, authorizer)) { Timeout = identity.Timeout(parse), MaxResponseContentBufferSize = MaxDocumentBytes };
        try
        {
            using var response = await http.GetAsync(new Uri(url), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(ExitCodes.Invalid, $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}: is this workload ({loaded.Svid.Id}) allowed by the inventory's policy?");
            }

            return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SpiffeAuthorizationException e)
        {
            throw new CliException(ExitCodes.Invalid, $"the server at {url} presented {e.ServerId?.ToString() ?? "no SPIFFE ID"}, which {(serverId is null ? "is not of our trust domain" : "is not " + serverId)}", e);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Unreachable, $"cannot fetch {url}: {e.Message} (run 'mtls probe' for the handshake's diagnosis)", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Unreachable, $"no answer from {url} within {http.Timeout.TotalSeconds:0.#} s", e);
        }
    }

    private static string ReadFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length > MaxDocumentBytes
                ? throw new CliException(ExitCodes.Usage, $"{path} is larger than {MaxDocumentBytes / (1024 * 1024)} MiB")
                : File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot read {path}: {e.Message}", e);
        }
    }

    private static void Show(CliOutput output, JsonDocument document, string where)
    {
        if (!document.RootElement.TryGetProperty("calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            throw new CliException(ExitCodes.Invalid, $"{where} is not a caller inventory: no \"calls\" array");
        }

        var rows = calls.EnumerateArray().Select(c => new Row(
            Text(c, "peer"), Text(c, "method"), Text(c, "route"),
            c.TryGetProperty("count", out var n) && n.TryGetInt64(out long count) ? count : 0,
            Text(c, "lastSeen"))).ToList();
        long overflow = document.RootElement.TryGetProperty("overflow", out var o) && o.TryGetInt64(out long value) ? value : 0;
        var plaintextRoutes = rows.Where(r => r.Peer == "plaintext").Select(r => $"{r.Method} {r.Route}").Distinct(StringComparer.Ordinal).ToList();
        if (output.Json)
        {
            output.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("callers");
                foreach (var caller in rows.GroupBy(r => r.Peer).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("peer", caller.Key);
                    w.WriteNumber("calls", caller.Sum(r => r.Count));
                    w.WriteStartArray("routes");
                    foreach (var row in caller)
                    {
                        w.WriteStringValue($"{row.Method} {row.Route}");
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("plaintextRoutes");
                foreach (string route in plaintextRoutes)
                {
                    w.WriteStringValue(route);
                }

                w.WriteEndArray();
                w.WriteNumber("overflow", overflow);
                w.WriteEndObject();
            });
            return;
        }

        string[] headers = ["CALLER", "METHOD", "ROUTE", "CALLS", "LAST SEEN"];
        var table = rows.Select(r => new[] { r.Peer, r.Method, r.Route, r.Count.ToString(CultureInfo.InvariantCulture), r.LastSeen }).ToList();
        int[] widths = [.. Enumerable.Range(0, headers.Length).Select(i => table.Select(t => t[i].Length).Append(headers[i].Length).Max())];
        output.Line(Format(headers, widths));
        foreach (var line in table)
        {
            output.Line(Format(line, widths));
        }

        output.Line();
        output.Line($"{rows.Select(r => r.Peer).Distinct(StringComparer.Ordinal).Count()} callers, {rows.Count} distinct calls{(overflow > 0 ? $", {overflow} calls not recorded (inventory full)" : string.Empty)}.");
        output.Line(plaintextRoutes.Count == 0
            ? "Every recorded caller speaks mTLS: the port can turn STRICT."
            : $"Plaintext callers still to move before STRICT: {string.Join(", ", plaintextRoutes)}.");
    }

    private static string Format(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((cell, i) => i == 3 ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd();

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? LogText.Sanitize(value.GetString(), 512) : string.Empty;

    private sealed record Row(string Peer, string Method, string Route, long Count, string LastSeen);
}
