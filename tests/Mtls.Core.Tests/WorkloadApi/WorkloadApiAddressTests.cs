using System.Net;
using Mtls.WorkloadApi;

namespace Mtls.Core.Tests.WorkloadApi;

public sealed class WorkloadApiAddressTests
{
    [Theory]
    [InlineData("unix:///run/spire/agent.sock", "/run/spire/agent.sock")]
    [InlineData("unix:/run/spire/agent.sock", "/run/spire/agent.sock")]
    [InlineData("UNIX:///tmp/a.sock", "/tmp/a.sock")]
    [InlineData("unix:///tmp/with%20space.sock", "/tmp/with space.sock")]
    public void Accepts_unix_address_with_absolute_path(string value, string path)
    {
        var address = WorkloadApiAddress.Parse(value);

        Assert.True(address.IsUnixSocket);
        Assert.Equal(path, address.SocketPath);
        Assert.Equal(value, address.ToString());
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:8081", "127.0.0.1", 8081)]
    [InlineData("tcp://[::1]:8081", "::1", 8081)]
    [InlineData("tcp://10.0.0.7:65535", "10.0.0.7", 65535)]
    public void Accepts_tcp_address_with_ip_literal_and_port(string value, string ip, int port)
    {
        var address = WorkloadApiAddress.Parse(value);

        Assert.False(address.IsUnixSocket);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(ip), port), address.TcpEndPoint);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/run/spire/agent.sock", "no scheme")]
    [InlineData("http://127.0.0.1:8081", "scheme 'http' is not supported")]
    [InlineData("unix:relative/agent.sock", "is not absolute")]
    [InlineData("unix://relative/agent.sock", "no authority ('relative')")]
    [InlineData("unix://host/run/agent.sock", "no authority ('host')")]
    [InlineData("unix://", "path is missing")]
    [InlineData("unix:///run/agent.sock?x=1", "query")]
    [InlineData("unix:///run/agent.sock#frag", "fragment")]
    [InlineData("tcp://localhost:8081", "is not an IP address")]
    [InlineData("tcp://spire-agent.internal:8081", "is not an IP address")]
    [InlineData("tcp://127.1:8081", "is not an IP address")]
    [InlineData("tcp://127.0.0.1", "port is missing")]
    [InlineData("tcp://127.0.0.1:", "port is missing")]
    [InlineData("tcp://[::1]", "port is missing")]
    [InlineData("tcp://::1:8081", "must be enclosed")]
    [InlineData("tcp://127.0.0.1:0", "port '0'")]
    [InlineData("tcp://127.0.0.1:70000", "port '70000'")]
    [InlineData("tcp://127.0.0.1:80a", "port '80a'")]
    [InlineData("tcp://127.0.0.1:8081/path", "no path")]
    [InlineData("tcp://127.0.0.1:8081?x=1", "query")]
    [InlineData("tcp://user@127.0.0.1:8081", "user info")]
    [InlineData("tcp:127.0.0.1:8081", "needs '//'")]
    public void Rejects_invalid_address_naming_the_value_and_the_rule(string value, string rule)
    {
        var error = Assert.Throws<InvalidWorkloadApiAddressException>(() => WorkloadApiAddress.Parse(value));

        Assert.Equal(value, error.Address);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configured_address_wins_over_the_environment()
    {
        var address = WorkloadApiAddress.Resolve("unix:///configured.sock");

        Assert.Equal("/configured.sock", address.SocketPath);
    }
}
