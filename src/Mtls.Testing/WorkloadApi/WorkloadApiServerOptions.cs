namespace Mtls.Testing.WorkloadApi;

/// <summary>FOR TESTS AND LOCAL DEMOS ONLY. Settings of <see cref="WorkloadApiServer"/>.</summary>
public sealed class WorkloadApiServerOptions
{
    /// <summary>
    /// The Unix socket path to listen on; a fresh path in a new temporary directory when null. Keep it short: Unix
    /// socket paths are limited to about 100 bytes.
    /// </summary>
    public string? SocketPath { get; init; }

    /// <summary>The lifetime of issued X.509-SVIDs. Default 1 hour.</summary>
    public TimeSpan SvidTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The lifetime of issued JWT-SVIDs. Default 5 minutes.</summary>
    public TimeSpan JwtSvidTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Re-issue every X.509-SVID at this interval (as an agent rotates before expiry); none when null.</summary>
    public TimeSpan? RotationInterval { get; init; }

    /// <summary>The clock for the rotation schedule and JWT validation.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
