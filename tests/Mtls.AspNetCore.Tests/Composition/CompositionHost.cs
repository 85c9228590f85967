using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore.Tests.Infrastructure;

namespace Mtls.AspNetCore.Tests.Composition;

/// <summary>
/// A real app on Kestrel (127.0.0.1), composed by the test the way users compose theirs: the test registers Mtls and
/// whatever else in whatever order, then maps endpoints; handler invocations are counted.
/// </summary>
public sealed class CompositionHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CompositionHost(WebApplication app, TestLoggerProvider logs, InvocationCounter invocations)
    {
        _app = app;
        Logs = logs;
        Counter = invocations;
    }

    public TestLoggerProvider Logs { get; }

    public InvocationCounter Counter { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>How many times a handler the test mapped ran.</summary>
    public int Invocations => Counter.Value;

    public IReadOnlyList<Uri> Addresses => [.. _app.Urls.Select(u => new Uri(u))];

    public Uri Address => Addresses[0];

    /// <summary>Builds and starts the app; a startup failure is thrown after the app is disposed.</summary>
    public static async Task<CompositionHost> StartAsync(Action<WebApplicationBuilder> compose, Action<WebApplication, InvocationCounter> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var logs = new TestLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information);
        var invocations = new InvocationCounter();
        builder.Services.AddSingleton(invocations);
        compose(builder);
        var app = builder.Build();
        map(app, invocations);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new CompositionHost(app, logs, invocations);
    }

    /// <summary>A port free on 127.0.0.1 right now (for endpoints that must name theirs, such as exempt ones).</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
