namespace Mtls.Testing.Processes;

/// <summary>FOR TESTS ONLY. How an <see cref="ExternalCommand"/> ended: its exit code and everything it printed.</summary>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="Output">Its standard output.</param>
/// <param name="Error">Its standard error.</param>
public sealed record ExternalCommandResult(int ExitCode, string Output, string Error);
