using System.CommandLine;
using System.Text.Json;
using Mtls.Sources;
using Mtls.WorkloadApi;
using Mtls.X509;

namespace Mtls.Cli.Commands;

/// <summary>
/// <c>mtls svid</c>: this workload's X509-SVIDs (ID, serials, expiry, chain) and the trust domains it trusts, from the
/// Workload API or files; <c>--watch</c> prints each rotation as it happens; <c>--write DIR</c> writes the SVID, its key
/// and the bundle as spiffe-helper does (and again on each rotation with <c>--watch</c>).
/// </summary>
internal static class SvidCommand
{
    internal static Command Create(CliEnvironment environment)
    {
        var identity = new IdentityOptions();
        var watch = new Option<bool>("--watch") { Description = "keep running and print every rotation (Ctrl+C to stop)" };
        var write = new Option<string?>("--write") { Description = "write svid.pem, svid_key.pem (mode 0600) and svid_bundle.pem into this directory" };
        var command = new Command("svid", "Show this workload's X509-SVIDs: SPIFFE ID, serials, expiry, chain.") { watch, write };
        identity.AddTo(command);
        environment.SetAction(command, CliEnvironment.JsonOption(), async (parse, output, cancellationToken) =>
        {
            string? directory = parse.GetValue(write);
            if (!parse.GetValue(watch))
            {
                using var loaded = await identity.LoadAsync(parse, cancellationToken).ConfigureAwait(false);
                Show(output, loaded.Context, environment.Time, rotation: 0);
                Write(output, loaded.Context, directory);
                return ExitCodes.Ok;
            }

            return identity.UsesFiles(parse)
                ? await WatchFilesAsync(parse, identity, output, environment.Time, directory, cancellationToken).ConfigureAwait(false)
                : await WatchAgentAsync(parse, identity, output, environment.Time, directory, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> WatchAgentAsync(ParseResult parse, IdentityOptions identity, CliOutput output, TimeProvider time, string? directory, CancellationToken cancellationToken)
    {
        using var client = identity.CreateClient(parse);
        int rotation = 0;
        try
        {
            await foreach (var context in client.WatchX509ContextsAsync(cancellationToken).ConfigureAwait(false))
            {
                using var loaded = new LoadedIdentity(context, owner: null);
                Show(output, context, time, rotation++);
                Write(output, context, directory);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (WorkloadApiException e)
        {
            throw identity.AgentFailure(parse, e, identity.Timeout(parse));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }

        throw new CliException(ExitCodes.NoIdentity, $"the agent at {identity.AddressText(parse)} ended the stream");
    }

    private static async Task<int> WatchFilesAsync(ParseResult parse, IdentityOptions identity, CliOutput output, TimeProvider time, string? directory, CancellationToken cancellationToken)
    {
        using var source = identity.OpenFiles(parse);
        try
        {
            await source.WaitUntilReadyAsync(identity.Timeout(parse), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new CliException(ExitCodes.NoIdentity, e.Message, e);
        }

        int rotation = 0;
        X509Context? shown = null;
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (source.GetChangeToken().RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), changed))
            {
                // Read after registering, so that a change between the read and the wait is not missed.
                var current = source.Current;
                if (current?.DefaultSvid is not null && !ReferenceEquals(current, shown))
                {
                    shown = current;
                    Show(output, current, time, rotation++);
                    Write(output, current, directory);
                }

                try
                {
                    await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return ExitCodes.Ok;
                }
            }
        }
    }

    /// <summary>Prints the context: every SVID (the first is the one presented) and the trusted trust domains.</summary>
    private static void Show(CliOutput output, X509Context context, TimeProvider time, int rotation)
    {
        var now = time.GetUtcNow();
        if (output.Json)
        {
            output.WriteJson(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("update", rotation);
                w.WriteString("observedAt", CertificateText.Time(now));
                w.WriteStartArray("svids");
                foreach (var svid in context.Svids)
                {
                    w.WriteStartObject();
                    w.WriteString("id", svid.Id.ToString());
                    w.WriteString("hint", svid.Hint);
                    w.WriteString("serial", svid.Certificate.SerialNumber);
                    w.WriteString("notBefore", CertificateText.Time(svid.NotBefore));
                    w.WriteString("notAfter", CertificateText.Time(svid.NotAfter));
                    w.WriteNumber("secondsToExpiry", Math.Floor((svid.NotAfter - now).TotalSeconds));
                    w.WriteStartArray("chain");
                    foreach (var certificate in svid.GetChain())
                    {
                        CertificateText.Write(w, certificate);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                WriteTrustDomains(w, context);
                w.WriteEndObject();
            });
            return;
        }

        if (rotation > 0)
        {
            output.Line($"-- rotation {rotation} at {CertificateText.Time(now)}");
        }

        foreach (var svid in context.Svids)
        {
            output.Line($"SPIFFE ID   {svid.Id}{(ReferenceEquals(svid, context.DefaultSvid) && context.Svids.Count > 1 ? "  (default)" : string.Empty)}");
            if (svid.Hint is not null)
            {
                output.Line($"Hint        {svid.Hint}");
            }

            output.Line($"Serial      {svid.Certificate.SerialNumber}");
            output.Line($"Not before  {CertificateText.Time(svid.NotBefore)}");
            output.Line($"Expires     {CertificateText.Time(svid.NotAfter)} ({CertificateText.Remaining(svid.NotAfter, now)})");
            var chain = svid.GetChain();
            for (int i = 0; i < chain.Count; i++)
            {
                output.Line($"{(i == 0 ? "Chain" : string.Empty),-12}{i + 1}. {CertificateText.Line(chain[i])}");
            }
        }

        output.Line($"Trusts      {string.Join(", ", context.Bundles.Bundles.OrderBy(b => b.TrustDomain.Name, StringComparer.Ordinal).Select(b => $"{b.TrustDomain} ({b.Authorities.Count} CA{(b.Authorities.Count == 1 ? string.Empty : "s")})"))}");
    }

    private static void WriteTrustDomains(Utf8JsonWriter w, X509Context context)
    {
        w.WriteStartArray("trustDomains");
        foreach (var bundle in context.Bundles.Bundles.OrderBy(b => b.TrustDomain.Name, StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("trustDomain", bundle.TrustDomain.Name);
            w.WriteNumber("authorities", bundle.Authorities.Count);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>With <c>--write</c>: the presented SVID's chain, its key and its trust domain's bundle, as spiffe-helper names them.</summary>
    private static void Write(CliOutput output, X509Context context, string? directory)
    {
        if (directory is null)
        {
            return;
        }

        var svid = context.DefaultSvid ?? throw new CliException(ExitCodes.NoIdentity, "the source has no X509-SVID for this workload");
        var written = SvidFileWriter.Write(directory, svid, context.Bundles.GetX509Bundle(svid.Id.TrustDomain));
        if (!output.Json)
        {
            output.Line($"Wrote       {string.Join(", ", written)}");
        }
    }
}
