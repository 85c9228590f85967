namespace Mtls.Cli;

/// <summary>The exit codes of <c>mtls</c>, stable for scripts (listed by <c>mtls --help</c> and the README).</summary>
internal static class ExitCodes
{
    /// <summary>Done; what was checked is valid.</summary>
    internal const int Ok = 0;

    /// <summary>What was checked is not valid (inspect, jwt validate) or the handshake was refused (probe).</summary>
    internal const int Invalid = 1;

    /// <summary>The command line is wrong, or a path it names cannot be read or written.</summary>
    internal const int Usage = 2;

    /// <summary>This workload has no usable identity: no agent at the socket, no SVID for us, unreadable or invalid files.</summary>
    internal const int NoIdentity = 3;

    /// <summary>The server could not be reached (probe, inventory).</summary>
    internal const int Unreachable = 4;

    /// <summary>The help text's description of the codes.</summary>
    internal const string Description =
        "Exit codes: 0 ok; 1 invalid or refused (inspect, jwt validate, probe); 2 usage error (bad arguments, unreadable or unwritable paths); "
        + "3 no identity (no agent at the socket, no SVID, unreadable files); 4 server unreachable (probe, inventory).";
}
