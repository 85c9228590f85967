namespace Mtls.Cli;

/// <summary>A command failed in a way the user can act on: the message is printed as is, and the process exits with <see cref="ExitCode"/>.</summary>
internal sealed class CliException(int exitCode, string message, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    internal int ExitCode { get; } = exitCode;
}
