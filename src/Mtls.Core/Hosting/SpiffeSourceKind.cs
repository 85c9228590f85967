namespace Mtls.Hosting;

/// <summary>Where <see cref="SpiffeX509SourceOptions"/> takes this workload's X.509 identity from.</summary>
public enum SpiffeSourceKind
{
    /// <summary>The SPIFFE Workload API (e.g. a SPIRE agent) at <see cref="SpiffeX509SourceOptions.EndpointSocket"/>.</summary>
    WorkloadApi,

    /// <summary>
    /// Files in a directory (<see cref="SpiffeX509SourceOptions.Files"/>), as cert-manager's csi-driver-spiffe or spiffe-helper
    /// write them; reloaded when they change.
    /// </summary>
    Files,

    /// <summary>
    /// An <see cref="Sources.IX509Source"/> the application supplies, through <c>AddSpiffeX509Source(source)</c>
    /// or by registering <see cref="Sources.IX509Source"/> in the service collection.
    /// </summary>
    Custom,
}
