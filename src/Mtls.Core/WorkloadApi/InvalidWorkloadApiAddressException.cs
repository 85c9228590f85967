namespace Mtls.WorkloadApi;

/// <summary>
/// A Workload API address (from options or <c>SPIFFE_ENDPOINT_SOCKET</c>) is not one of the forms the SPIFFE
/// Workload Endpoint standard allows: <c>unix:///absolute/path</c>, <c>unix:/absolute/path</c> or
/// <c>tcp://IP:port</c>. The message names the value and the rule it breaks.
/// </summary>
public sealed class InvalidWorkloadApiAddressException : FormatException
{
    /// <summary>Creates the exception for <paramref name="address"/>.</summary>
    public InvalidWorkloadApiAddressException(string? address, string message)
        : base(message)
    {
        Address = address;
    }

    /// <summary>The rejected value, or null when none was configured.</summary>
    public string? Address { get; }
}
