using System.Diagnostics;
using Mtls.LoadTest.Servers;

namespace Mtls.LoadTest.Scenarios;

/// <summary>The app in a child process of this harness (<c>serve</c> verb), on an HTTP/1.1 and an HTTP/2 port.</summary>
internal sealed class ChildServer : IAsyncDisposable
{
    private readonly Process _process;

    private ChildServer(Process process, int http1Port, int http2Port)
    {
        _process = process;
        Http1Port = http1Port;
        Http2Port = http2Port;
    }

    internal int Http1Port { get; }

    internal int Http2Port { get; }

    internal int ProcessId => _process.Id;

    /// <summary>Starts the server of <paramref name="kind"/>; <paramref name="fullHandshakes"/> turns TLS session resumption off in it.</summary>
    internal static async Task<ChildServer> StartAsync(string kind, string certificateDirectory, bool fullHandshakes = false)
    {
        int http1 = FreePort.Next();
        int http2 = FreePort.Next();
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ChildServer).Assembly.Location);
        }

        foreach (string arg in new[] { "serve", kind, http1.ToString(System.Globalization.CultureInfo.InvariantCulture), http2.ToString(System.Globalization.CultureInfo.InvariantCulture), certificateDirectory })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_gcServer"] = "1";
        if (fullHandshakes)
        {
            // .NET's process-wide switch: the server refuses every resumption, so each new connection is a full handshake.
            start.Environment["DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME"] = "1";
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("server child did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[{kind} server] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await FreePort.WaitListeningAsync(http1);
        await FreePort.WaitListeningAsync(http2);
        return new ChildServer(process, http1, http2);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
