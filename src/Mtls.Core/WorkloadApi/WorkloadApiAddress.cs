using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mtls.WorkloadApi;

/// <summary>
/// Where the SPIFFE Workload API listens: a Unix domain socket (<c>unix:///run/spire/agent.sock</c> or
/// <c>unix:/run/spire/agent.sock</c>) or a TCP endpoint given by an IP literal (<c>tcp://127.0.0.1:8081</c>).
/// Host names, relative paths, authorities on <c>unix:</c>, user info, queries and fragments are rejected, as the
/// SPIFFE Workload Endpoint standard requires. An instance that exists is valid.
/// </summary>
public sealed class WorkloadApiAddress
{
    /// <summary>The environment variable a client falls back to when no address is configured.</summary>
    public const string EnvironmentVariable = "SPIFFE_ENDPOINT_SOCKET";

    private const string Forms = "use unix:///absolute/path, unix:/absolute/path or tcp://IP:port";

    private WorkloadApiAddress(string value, string? socketPath, IPEndPoint? tcpEndPoint)
    {
        Value = value;
        SocketPath = socketPath;
        TcpEndPoint = tcpEndPoint;
    }

    /// <summary>The address as configured.</summary>
    public string Value { get; }

    /// <summary>The absolute path of the Unix domain socket, or null for a TCP address.</summary>
    public string? SocketPath { get; }

    /// <summary>The TCP endpoint, or null for a Unix domain socket address.</summary>
    public IPEndPoint? TcpEndPoint { get; }

    /// <summary>True for a Unix domain socket address.</summary>
    public bool IsUnixSocket => SocketPath is not null;

    /// <summary>The endpoint to connect a socket to.</summary>
    public EndPoint EndPoint => SocketPath is not null ? new UnixDomainSocketEndPoint(SocketPath) : TcpEndPoint!;

    /// <summary>Parses an address.</summary>
    /// <exception cref="InvalidWorkloadApiAddressException">The value is not a valid Workload API address.</exception>
    public static WorkloadApiAddress Parse(string value) => Parse(value, "Workload API address");

    /// <summary>A Unix domain socket address for an absolute <paramref name="socketPath"/>.</summary>
    /// <exception cref="InvalidWorkloadApiAddressException">The path is not absolute.</exception>
    public static WorkloadApiAddress ForUnixSocket(string socketPath)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        return Parse("unix://" + socketPath);
    }

    /// <summary>
    /// The configured address when <paramref name="configured"/> is not null or empty, else the value of
    /// <c>SPIFFE_ENDPOINT_SOCKET</c>.
    /// </summary>
    /// <exception cref="InvalidWorkloadApiAddressException">Neither is set, or the value is invalid.</exception>
    public static WorkloadApiAddress Resolve(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return Parse(configured, "Workload API address");
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(fromEnvironment))
        {
            throw new InvalidWorkloadApiAddressException(null, $"No Workload API address: set the Address option or the {EnvironmentVariable} environment variable ({Forms}).");
        }

        return Parse(fromEnvironment, EnvironmentVariable);
    }

    /// <summary>The address as configured.</summary>
    public override string ToString() => Value;

    private static WorkloadApiAddress Parse(string value, string origin)
    {
        ArgumentNullException.ThrowIfNull(value);
        string? error = TryParse(value, out var address);
        return error is null
            ? address!
            : throw new InvalidWorkloadApiAddressException(value, $"{origin} '{value}' is invalid: {error}; {Forms}.");
    }

    private static string? TryParse(string value, out WorkloadApiAddress? address)
    {
        address = null;
        if (value.Length == 0 || value.Trim().Length != value.Length)
        {
            return "it is empty or has surrounding white space";
        }

        int colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return "it has no scheme";
        }

        string scheme = value[..colon];
        string rest = value[(colon + 1)..];
        if (rest.Contains('?', StringComparison.Ordinal))
        {
            return "a query is not allowed";
        }

        if (rest.Contains('#', StringComparison.Ordinal))
        {
            return "a fragment is not allowed";
        }

        if (scheme.Equals("unix", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseUnix(value, rest, out address);
        }

        if (scheme.Equals("tcp", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseTcp(value, rest, out address);
        }

        return $"scheme '{scheme}' is not supported";
    }

    private static string? TryParseUnix(string value, string rest, out WorkloadApiAddress? address)
    {
        address = null;
        string path = rest;
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            int slash = rest.IndexOf('/', 2);
            string authority = slash < 0 ? rest[2..] : rest[2..slash];
            if (authority.Length > 0)
            {
                return $"a unix address has no authority ('{authority}'); the path must follow 'unix://' directly";
            }

            path = slash < 0 ? string.Empty : rest[slash..];
        }

        if (path.Length == 0)
        {
            return "the socket path is missing";
        }

        if (path[0] != '/')
        {
            return $"the socket path '{path}' is not absolute";
        }

        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(path);
        }
        catch (UriFormatException e)
        {
            return $"the socket path does not decode ({e.Message})";
        }

        if (decoded.Contains('\0', StringComparison.Ordinal))
        {
            return "the socket path contains a NUL character";
        }

        address = new WorkloadApiAddress(value, decoded, null);
        return null;
    }

    private static string? TryParseTcp(string value, string rest, out WorkloadApiAddress? address)
    {
        address = null;
        if (!rest.StartsWith("//", StringComparison.Ordinal))
        {
            return "a tcp address needs '//' followed by IP:port";
        }

        string authority = rest[2..];
        int slash = authority.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            return $"a tcp address has no path ('{authority[slash..]}')";
        }

        if (authority.Contains('@', StringComparison.Ordinal))
        {
            return "user info is not allowed";
        }

        string host;
        string port;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return "the IPv6 literal has no closing ']'";
            }

            host = authority[1..close];
            string afterHost = authority[(close + 1)..];
            if (!afterHost.StartsWith(':'))
            {
                return "the port is missing";
            }

            port = afterHost[1..];
        }
        else
        {
            int lastColon = authority.LastIndexOf(':');
            if (lastColon < 0)
            {
                return "the port is missing";
            }

            host = authority[..lastColon];
            port = authority[(lastColon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                return "an IPv6 literal must be enclosed in '[' and ']'";
            }
        }

        if (host.Length == 0)
        {
            return "the IP address is missing";
        }

        if (!IPAddress.TryParse(host, out var ip) || !IsCanonical(host, ip))
        {
            return $"'{host}' is not an IP address (host names are not allowed)";
        }

        if (port.Length == 0)
        {
            return "the port is missing";
        }

        if (!port.All(char.IsAsciiDigit)
            || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int portNumber)
            || portNumber is < 1 or > IPEndPoint.MaxPort)
        {
            return $"port '{port}' is not a number from 1 to 65535";
        }

        address = new WorkloadApiAddress(value, null, new IPEndPoint(ip, portNumber));
        return null;
    }

    // IPAddress.TryParse also takes shorthand such as "127.1" or "1"; only the dotted-quad or IPv6 literal counts.
    private static bool IsCanonical(string host, IPAddress ip) =>
        ip.AddressFamily == AddressFamily.InterNetworkV6
            ? !host.Contains('%', StringComparison.Ordinal)
            : string.Equals(ip.ToString(), host, StringComparison.Ordinal);
}
