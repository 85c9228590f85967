using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Mtls.Bundles;
using Mtls.Testing.Certificates;
using Mtls.Testing.Files;
using Mtls.Testing.Processes;

namespace Mtls.Http.Tests.Interop;

/// <summary>
/// nginx with <c>ssl_verify_client on</c> on 127.0.0.1, run in the foreground as the current user from a
/// configuration generated into a temporary directory. Answers every request with <c>$ssl_client_serial</c> (also
/// in the <c>X-Client-Serial</c> header) and closes HTTP/1.1 connections after each response; speaks HTTP/2 when
/// the client offers it in ALPN.
/// </summary>
public sealed class NginxTestServer : IDisposable
{
    private const int MaxStartAttempts = 3;
    private readonly SvidFiles _files;
    private readonly ExternalProcess _process;

    private NginxTestServer(SvidFiles files, ExternalProcess process, int port)
    {
        _files = files;
        _process = process;
        BaseAddress = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
    }

    public Uri BaseAddress { get; }

    public static async Task<NginxTestServer> StartAsync(IssuedSvid server, X509Bundle clientTrust)
    {
        var files = new SvidFiles(server, clientTrust);
        string output = string.Empty;
        for (int attempt = 0; attempt < MaxStartAttempts; attempt++)
        {
            // nginx cannot listen on port 0; another process may take this port before nginx binds it, hence the retry.
            int port = FreePort();
            string config = Path.Combine(files.Directory, "nginx.conf");
            File.WriteAllText(config, Config(files, port));
            var process = ExternalProcess.Start("nginx", ["-p", files.Directory, "-c", config, "-e", "stderr", "-g", "daemon off;"], files.Directory);
            string? ready;
            try
            {
                ready = await process.WaitForLineAsync(line => line.Contains("start worker process", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
            }
            catch
            {
                process.Dispose();
                files.Dispose();
                throw;
            }

            if (ready is not null)
            {
                return new NginxTestServer(files, process, port);
            }

            output = process.Output;
            process.Dispose();
            if (!output.Contains("Address already in use", StringComparison.Ordinal))
            {
                break;
            }
        }

        files.Dispose();
        throw new InvalidOperationException($"nginx did not start:\n{output}");
    }

    public void Dispose()
    {
        _process.Dispose();
        _files.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Config(SvidFiles files, int port)
    {
        string dir = files.Directory;

        // As root nginx would hand requests to workers running as "nobody"; keep everything as the current user.
        string user = Environment.UserName == "root" ? "user root;" : string.Empty;
        return $$"""
            {{user}}
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log stderr notice;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path {{dir}}/client_body;
              proxy_temp_path {{dir}}/proxy;
              fastcgi_temp_path {{dir}}/fastcgi;
              uwsgi_temp_path {{dir}}/uwsgi;
              scgi_temp_path {{dir}}/scgi;
              server {
                listen 127.0.0.1:{{port.ToString(CultureInfo.InvariantCulture)}} ssl http2;
                ssl_certificate {{files.ChainPath}};
                ssl_certificate_key {{files.KeyPath}};
                ssl_client_certificate {{files.ClientCaPath}};
                ssl_verify_client on;
                ssl_verify_depth 2;
                keepalive_timeout 0;
                location / {
                  default_type text/plain;
                  add_header X-Client-Serial $ssl_client_serial always;
                  return 200 "$ssl_client_serial";
                }
              }
            }
            """;
    }
}
