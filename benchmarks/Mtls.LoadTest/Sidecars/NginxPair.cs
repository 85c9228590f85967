using System.Diagnostics;
using System.Globalization;
using Mtls.LoadTest.Servers;

namespace Mtls.LoadTest.Sidecars;

/// <summary>
/// A service-mesh style sidecar pair made of two nginx instances: the client talks plaintext to the egress
/// sidecar, which opens mTLS to the ingress sidecar, which forwards plaintext to the app. Each instance has one
/// worker, like one proxy per pod; sidecar-to-sidecar connections are pooled, as meshes do.
/// </summary>
internal sealed class NginxPair : IAsyncDisposable
{
    private readonly List<Process> _processes = [];

    private NginxPair(string directory, int egressHttp1Port, int egressHttp2Port)
    {
        Directory = directory;
        EgressHttp1Port = egressHttp1Port;
        EgressHttp2Port = egressHttp2Port;
    }

    internal string Directory { get; }

    internal int EgressHttp1Port { get; }

    /// <summary>Plaintext HTTP/2 (prior knowledge) into the egress sidecar.</summary>
    internal int EgressHttp2Port { get; }

    internal IEnumerable<int> ProcessIds => _processes.Select(p => p.Id);

    internal static async Task<NginxPair> StartAsync(CertificateFiles files, int appPort)
    {
        string dir = Path.Combine(files.Directory, "nginx-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        int ingressPort = FreePort.Next();
        var pair = new NginxPair(dir, FreePort.Next(), FreePort.Next());

        string ingress = $$"""
            listen 127.0.0.1:{{ingressPort}} ssl;
            ssl_certificate {{files.ServerChain}};
            ssl_certificate_key {{files.ServerKey}};
            ssl_client_certificate {{files.Bundle}};
            ssl_verify_client on;
            ssl_verify_depth 3;
            ssl_protocols TLSv1.3;
            ssl_session_cache off;
            location / {
                proxy_pass http://app;
                proxy_http_version 1.1;
                proxy_set_header Connection "";
            }
            """;
        string egress = $$"""
            listen 127.0.0.1:{{pair.EgressHttp1Port}};
            listen 127.0.0.1:{{pair.EgressHttp2Port}} http2;
            location / {
                proxy_pass https://ingress;
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_ssl_certificate {{files.ClientChain}};
                proxy_ssl_certificate_key {{files.ClientKey}};
                proxy_ssl_trusted_certificate {{files.Bundle}};
                proxy_ssl_verify on;
                proxy_ssl_verify_depth 3;
                proxy_ssl_name ingress.local;
                proxy_ssl_server_name off;
                proxy_ssl_session_reuse on;
                proxy_ssl_protocols TLSv1.3;
            }
            """;
        pair.Start("ingress", $"upstream app {{ server 127.0.0.1:{appPort}; keepalive 64; }}", ingress);
        pair.Start("egress", $"upstream ingress {{ server 127.0.0.1:{ingressPort}; keepalive 64; }}", egress);
        await FreePort.WaitListeningAsync(ingressPort);
        await FreePort.WaitListeningAsync(pair.EgressHttp1Port);
        return pair;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }

    private void Start(string name, string upstream, string server)
    {
        string prefix = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        string conf = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(conf, string.Create(CultureInfo.InvariantCulture, $$"""
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/logs/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                keepalive_requests 1000000;
                {{upstream}}
                server {
                    {{server}}
                }
            }
            """));
        var process = Process.Start(new ProcessStartInfo("nginx", $"-p {prefix} -c {conf} -g \"daemon off;\"")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("nginx did not start");
        _processes.Add(process);
    }
}
