using System.Net;
using System.Net.Sockets;

namespace Mtls.DataStores.Tests;

/// <summary>A loopback port free at the time of the call, for servers that cannot listen on port 0.</summary>
internal static class FreePort
{
    internal static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
