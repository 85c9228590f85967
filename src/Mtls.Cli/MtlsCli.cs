using System.CommandLine;
using Mtls.Cli.Commands;

namespace Mtls.Cli;

/// <summary>The <c>mtls</c> command line: builds the commands and runs one.</summary>
internal static class MtlsCli
{
    /// <summary>Runs <paramref name="args"/> writing to the given streams; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    internal static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        RunAsync(args, new CliEnvironment(output, error, TimeProvider.System), cancellationToken);

    /// <summary>Runs <paramref name="args"/> in <paramref name="environment"/>.</summary>
    internal static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var root = new RootCommand("SPIFFE workload identity from the command line: what this workload is, what it trusts, and why a handshake fails.\n" + ExitCodes.Description)
        {
            SvidCommand.Create(environment),
            BundleCommand.Create(environment),
            JwtCommand.Create(environment),
            InspectCommand.Create(environment),
            ProbeCommand.Create(environment),
            InventoryCommand.Create(environment),
        };
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = environment.Out, Error = environment.Error };
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                await environment.Error.WriteLineAsync($"mtls: {parseError.Message}").ConfigureAwait(false);
            }

            await environment.Error.WriteLineAsync("Run 'mtls --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        int code = await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        await environment.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return code;
    }
}
