using System.Net;
using System.Net.Sockets;

namespace Mtls.Core.Tests.Tls;

/// <summary>Connected TCP socket pairs on 127.0.0.1, for handshakes driven by hand.</summary>
internal static class LoopbackSockets
{
    /// <summary>A connected pair, the accepting (server) side first.</summary>
    internal static async Task<(Socket Server, Socket Client)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (await listener.AcceptAsync(), client);
    }
}
