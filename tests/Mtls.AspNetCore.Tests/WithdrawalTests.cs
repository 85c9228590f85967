using Grpc.Core;
using Microsoft.Extensions.Primitives;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;

namespace Mtls.AspNetCore.Tests;

/// <summary>Issue 11: a withdrawn identity is never served, whatever the SVID picker does.</summary>
public sealed class WithdrawalTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestPki _pki = new();
    private readonly WorkloadApiServer _agent = new();

    public async Task InitializeAsync()
    {
        _agent.AddTrustDomain(_pki.Ca);
        _agent.SetIdentities(TestPki.ServerId);
        await _agent.StartAsync();
    }

    [Fact]
    public async Task Permission_denied_with_a_throwing_picker_stops_the_server_presenting_the_svid()
    {
        await using var source = await WorkloadApiX509Source.CreateAsync(new WorkloadApiX509SourceOptions
        {
            Address = _agent.Address,
            ReconnectDelay = TimeSpan.FromMilliseconds(10),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(100),
            // A picker written for a non-empty list, as most are.
            SvidPicker = svids => svids.First(s => s.Id.ToString() == TestPki.ServerId),
        });
        await using var server = await MtlsTestServer.StartAsync(source, configureSource: o => o.TrustDomain = "example.org");
        using (var before = new TestClient(server.BaseAddress, Client(), _pki.Bundles()))
        {
            Assert.Equal(TestPki.ClientId, await before.Http.GetStringAsync("/api/hello"));
        }

        _agent.FailWith(StatusCode.PermissionDenied, "no identity issued");
        await WaitUntilAsync(source, () => source.GetX509Svid() is null);

        using var after = new TestClient(server.BaseAddress, Client(), _pki.Bundles());
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => after.Http.GetStringAsync("/api/hello"));
        Assert.Empty(after.ServerSerials);
    }

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    public void Dispose() => _pki.Dispose();

    private static async Task WaitUntilAsync(WorkloadApiX509Source source, Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = source.GetChangeToken().RegisterChangeCallback(_ => fired.TrySetResult(), null);
            if (condition())
            {
                return;
            }

            await fired.Task.WaitAsync(cts.Token);
        }
    }

    private ClientCertificate Client() => TestPki.ToClientCertificate(_pki.Ca.Issue(TestPki.ClientId));
}
