using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Primitives;
using Mtls.AspNetCore;
using Mtls.AspNetCore.Kestrel;
using Mtls.Authorization;
using Mtls.Hosting;
using Mtls.Http;
using Mtls.LoadTest.Load;
using Mtls.LoadTest.Report;
using Mtls.LoadTest.Servers;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;

namespace Mtls.LoadTest.Rotation;

/// <summary>
/// Rotates both sides' SVIDs through the test kit's Workload API while a constant stream of new-connection requests
/// runs, and measures failed requests and the delay from each rotation to the first handshake that uses the new
/// SVID (seen by the server for the client's certificate, read from the handshake itself for the server's).
/// </summary>
internal static class RotationUnderLoad
{
    private const int Workers = 4;

    internal static async Task<RotationResult> RunAsync(int rotations)
    {
        using var ca = TestCertificateAuthority.Create("bench.local");
        await using var serverAgent = await StartAgentAsync(ca, CertificateFiles.ServerId);
        await using var clientAgent = await StartAgentAsync(ca, CertificateFiles.ClientId);
        var serverSource = await WorkloadApiX509Source.CreateAsync(new WorkloadApiX509SourceOptions { Address = serverAgent.Address });
        await using var clientSource = await WorkloadApiX509Source.CreateAsync(new WorkloadApiX509SourceOptions { Address = clientAgent.Address });

        int port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSpiffeX509Source(serverSource);
        builder.Services.AddSpiffeMtls(o =>
        {
            o.AllEndpoints = false;
            o.HandshakeAuthorizer = Authorizer.Id(CertificateFiles.ClientId);
        });
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, l => l.UseSpiffeMtls()));
        await using var app = builder.Build();
        app.MapGet("/", (HttpContext context) =>
            $"{context.Connection.ClientCertificate?.SerialNumber} {context.Features.Get<ISslStreamFeature>()?.SslStream.LocalCertificate?.GetSerialNumberString()}");
        await app.StartAsync();

        var firstSeen = new ConcurrentDictionary<string, long>();
        long failed = 0;
        long requests = 0;
        string lastBody = string.Empty;
        using var stop = new CancellationTokenSource();
        using var client = new HttpClient(SpiffeHttpHandlerFactory.Create(clientSource, Authorizer.Id(CertificateFiles.ServerId)));
        var uri = new Uri($"https://127.0.0.1:{port}/");

        async Task Stream()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    request.Headers.ConnectionClose = true;
                    using var response = await client.SendAsync(request, stop.Token);
                    string body = await response.Content.ReadAsStringAsync(stop.Token);
                    lastBody = body;
                    long now = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref requests);
                    if (!response.IsSuccessStatusCode)
                    {
                        if (Interlocked.Increment(ref failed) <= 3)
                        {
                            Console.Error.WriteLine($"failed request during rotation: HTTP {(int)response.StatusCode}");
                        }

                        continue;
                    }

                    foreach (string serial in body.Split(' '))
                    {
                        firstSeen.TryAdd(serial, now);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or System.Security.Authentication.AuthenticationException)
                {
                    Interlocked.Increment(ref requests);
                    if (Interlocked.Increment(ref failed) <= 3)
                    {
                        Console.Error.WriteLine($"failed request during rotation: {e.GetType().Name}: {e.Message} {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                    }
                }
            }
        }

        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(Stream)).ToArray();
        var delays = new List<double>();
        var deadline = Stopwatch.StartNew();
        for (int i = 0; i < rotations && deadline.Elapsed < TimeSpan.FromMinutes(2); i++)
        {
            var serverChanged = Changed(serverSource);
            var clientChanged = Changed(clientSource);
            long rotatedAt = Stopwatch.GetTimestamp();
            serverAgent.Rotate();
            clientAgent.Rotate();
            await Task.WhenAll(serverChanged, clientChanged).WaitAsync(TimeSpan.FromSeconds(10));
            string serverSerial = serverSource.GetX509Svid()!.Certificate.SerialNumber;
            string clientSerial = clientSource.GetX509Svid()!.Certificate.SerialNumber;
            foreach (string serial in new[] { serverSerial, clientSerial })
            {
                var wait = Stopwatch.StartNew();
                while (!firstSeen.ContainsKey(serial) && wait.Elapsed < TimeSpan.FromSeconds(5))
                {
                    await Task.Delay(1);
                }

                if (firstSeen.TryGetValue(serial, out long seen))
                {
                    delays.Add(Stopwatch.GetElapsedTime(rotatedAt, seen).TotalMilliseconds);
                }
                else
                {
                    delays.Add(double.PositiveInfinity);
                    Console.Error.WriteLine($"rotation {i}: serial {serial} not seen within 5 s; last response '{lastBody}'");
                }
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        await app.StopAsync();
        double[] sorted = [.. delays.Order()];
        return new RotationResult(
            delays.Count / 2,
            requests,
            failed,
            LoadGenerator.Percentile(sorted, 0.50),
            LoadGenerator.Percentile(sorted, 0.99),
            sorted.Length == 0 ? double.NaN : sorted[^1]);
    }

    private static async Task<WorkloadApiServer> StartAgentAsync(TestCertificateAuthority ca, string id)
    {
        var agent = new WorkloadApiServer();
        agent.AddTrustDomain(ca);
        agent.SetIdentities(id);
        await agent.StartAsync();
        return agent;
    }

    private static Task Changed(WorkloadApiX509Source source)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.GetChangeToken().RegisterChangeCallback(_ => fired.TrySetResult(), null);
        return fired.Task;
    }
}
