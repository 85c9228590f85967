using System.CommandLine;
using System.Security.Cryptography;
using Grpc.Core;
using Mtls.Bundles;
using Mtls.Files;
using Mtls.Sources;
using Mtls.WorkloadApi;
using Mtls.X509;

namespace Mtls.Cli;

/// <summary>
/// Where this workload's identity comes from, shared by the commands that need one: the Workload API (<c>--socket</c>,
/// default <c>SPIFFE_ENDPOINT_SOCKET</c>) or files (<c>--files DIR</c>, csi-driver-spiffe names, or spiffe-helper's
/// with <c>--spiffe-helper-names</c>), and how long to wait for it.
/// </summary>
internal sealed class IdentityOptions
{
    private readonly Option<string?> _socket = new("--socket") { Description = "Workload API address (unix:///path or tcp://IP:port); default SPIFFE_ENDPOINT_SOCKET" };
    private readonly Option<string?> _files = new("--files") { Description = "read the SVID from a directory instead (tls.crt, tls.key, ca.crt)" };
    private readonly Option<bool> _helperNames = new("--spiffe-helper-names") { Description = "with --files: svid.pem, svid_key.pem, svid_bundle.pem" };
    private readonly Option<int> _timeout = new("--timeout") { Description = "seconds to wait for the agent or the files", DefaultValueFactory = _ => 10 };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    internal void AddTo(Command command)
    {
        command.Options.Add(_socket);
        command.Options.Add(_files);
        command.Options.Add(_helperNames);
        command.Options.Add(_timeout);
    }

    /// <summary>How long to wait.</summary>
    internal TimeSpan Timeout(ParseResult parse)
    {
        int seconds = parse.GetValue(_timeout);
        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new CliException(ExitCodes.Usage, "--timeout must be a positive number of seconds");
    }

    /// <summary>True when the identity comes from files.</summary>
    internal bool UsesFiles(ParseResult parse) => parse.GetValue(_files) is not null;

    /// <summary>A Workload API client for <c>--socket</c> (or <c>SPIFFE_ENDPOINT_SOCKET</c>).</summary>
    internal WorkloadApiClient CreateClient(ParseResult parse)
    {
        if (UsesFiles(parse))
        {
            throw new CliException(ExitCodes.Usage, "this command talks to the Workload API: drop --files");
        }

        try
        {
            var address = WorkloadApiAddress.Resolve(parse.GetValue(_socket));
            return new WorkloadApiClient(new WorkloadApiClientOptions { Address = address.Value });
        }
        catch (InvalidWorkloadApiAddressException e)
        {
            throw new CliException(ExitCodes.Usage, e.Message, e);
        }
    }

    /// <summary>The address a client made by <see cref="CreateClient"/> talks to, for messages.</summary>
    internal string AddressText(ParseResult parse) => parse.GetValue(_socket) ?? Environment.GetEnvironmentVariable(WorkloadApiAddress.EnvironmentVariable) ?? "(none)";

    /// <summary>The current X.509 context, from the agent or the files; the result owns its SVIDs.</summary>
    internal async Task<LoadedIdentity> LoadAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (UsesFiles(parse))
        {
            // A bad --timeout is refused even where the files make it moot.
            _ = Timeout(parse);
            return LoadFiles(parse);
        }

        var context = await FetchAsync(parse, static (client, token) => client.FetchX509ContextAsync(token), cancellationToken).ConfigureAwait(false);
        return new LoadedIdentity(context, owner: null);
    }

    /// <summary>
    /// Asks the agent at <c>--socket</c> with <paramref name="fetch"/>, within <c>--timeout</c>; a failure is thrown
    /// as the one-line <see cref="AgentFailure"/>.
    /// </summary>
    internal async Task<T> FetchAsync<T>(ParseResult parse, Func<WorkloadApiClient, CancellationToken, Task<T>> fetch, CancellationToken cancellationToken)
    {
        var timeout = Timeout(parse);
        using var client = CreateClient(parse);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await fetch(client, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WorkloadApiException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw AgentFailure(parse, e, timeout);
        }
    }

    /// <summary>
    /// Reads <c>--files</c> once, as they are: unlike the library's file source, an expired SVID is shown (and
    /// presented by <c>probe</c>), since saying that it expired is the point of a diagnosis.
    /// </summary>
    private LoadedIdentity LoadFiles(ParseResult parse)
    {
        var options = FilesOptions(parse);
        string certificate = Path.Combine(options.Directory, options.CertificateFileName);
        string key = Path.Combine(options.Directory, options.KeyFileName);
        string bundle = Path.Combine(options.Directory, options.BundleFileName);
        X509Svid svid;
        try
        {
            svid = X509Svid.LoadPemFiles(certificate, key);
        }
        catch (X509SvidException e)
        {
            throw new CliException(ExitCodes.NoIdentity, $"{certificate} is not a valid X509-SVID ({e.Rule}): {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.NoIdentity, $"cannot read the SVID files in {options.Directory}: {e.Message}", e);
        }

        try
        {
            var trust = X509Bundle.FromPemFile(svid.Id.TrustDomain, bundle);
            return new LoadedIdentity(new X509Context([svid], new X509BundleSet([trust])), owner: null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            svid.Dispose();
            throw new CliException(ExitCodes.NoIdentity, $"cannot read the bundle {bundle}: {e.Message}", e);
        }
    }

    /// <summary>A file source for <c>--files</c>.</summary>
    internal FileX509Source OpenFiles(ParseResult parse)
    {
        try
        {
            return new FileX509Source(FilesOptions(parse));
        }
        catch (ArgumentException e)
        {
            throw new CliException(ExitCodes.Usage, e.Message, e);
        }
    }

    private FileX509SourceOptions FilesOptions(ParseResult parse)
    {
        string directory = parse.GetValue(_files) ?? throw new CliException(ExitCodes.Usage, "--files DIR is required");
        var options = new FileX509SourceOptions { Directory = Path.GetFullPath(directory) };
        if (parse.GetValue(_helperNames))
        {
            options.UseSpiffeHelperNames();
        }

        return options;
    }

    /// <summary>What a failed Workload API call means, in one line.</summary>
    internal CliException AgentFailure(ParseResult parse, Exception failure, TimeSpan timeout)
    {
        string address = AddressText(parse);
        return failure switch
        {
            WorkloadApiException { StatusCode: StatusCode.Unavailable } => new CliException(ExitCodes.NoIdentity, $"no agent at that socket: nothing answers the Workload API at {address}", failure),
            WorkloadApiException { StatusCode: StatusCode.PermissionDenied } e => new CliException(ExitCodes.NoIdentity, $"the agent at {address} has no identity for this process (PermissionDenied: {e.Message})", failure),
            WorkloadApiException e => new CliException(ExitCodes.NoIdentity, $"the agent at {address} failed ({e.StatusCode}): {e.Message}", failure),
            _ => new CliException(ExitCodes.NoIdentity, $"no answer from the agent at {address} within {timeout.TotalSeconds:0.#} s", failure),
        };
    }
}
