using System.CommandLine;

namespace Mtls.Cli;

/// <summary>What a command runs against: its output streams and clock (the process's, or a test's).</summary>
internal sealed class CliEnvironment(TextWriter output, TextWriter error, TimeProvider time)
{
    /// <summary>Standard output.</summary>
    internal TextWriter Out { get; } = output;

    /// <summary>Standard error.</summary>
    internal TextWriter Error { get; } = error;

    /// <summary>The clock expiry is shown against.</summary>
    internal TimeProvider Time { get; } = time;

    /// <summary>The <c>--json</c> option every command has.</summary>
    internal static Option<bool> JsonOption() => new("--json") { Description = "one JSON document on standard output, for scripts" };

    /// <summary>
    /// Sets <paramref name="command"/>'s action: runs <paramref name="body"/> with the output chosen by
    /// <paramref name="json"/>; a <see cref="CliException"/> becomes its message (on standard error, and as
    /// <c>{"error": ...}</c> with <c>--json</c>) and its exit code.
    /// </summary>
    internal void SetAction(Command command, Option<bool> json, Func<ParseResult, CliOutput, CancellationToken, Task<int>> body)
    {
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = new CliOutput(Out, Error, parse.GetValue(json));
            try
            {
                return await body(parse, output, cancellationToken).ConfigureAwait(false);
            }
            catch (CliException e)
            {
                if (output.Json)
                {
                    output.WriteJson(w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("error", e.Message);
                        w.WriteNumber("exitCode", e.ExitCode);
                        w.WriteEndObject();
                    });
                }

                Error.WriteLine($"mtls: {e.Message}");
                Error.Flush();
                return e.ExitCode;
            }
        });
    }
}
