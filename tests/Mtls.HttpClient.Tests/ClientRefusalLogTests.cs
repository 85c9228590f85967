using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mtls.Authorization;
using Mtls.Http.Tests.Servers;

namespace Mtls.Http.Tests;

/// <summary>A server that is refused on every connection cannot flood the client's log.</summary>
public sealed class ClientRefusalLogTests : IDisposable
{
    private readonly TestPki _pki = new();

    [Fact]
    public async Task Refused_servers_are_logged_at_a_bounded_rate()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.IssueFromOther("spiffe://other.org/orders"), _pki.Bundles);
        var log = new CountingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(log));
        using var client = new System.Net.Http.HttpClient(SpiffeHttpHandlerFactory.Create(source, Authorizer.Any(), loggerFactory: loggerFactory))
        {
            BaseAddress = server.BaseAddress,
        };

        for (int i = 0; i < 15; i++)
        {
            await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => client.GetStringAsync("serial"));
        }

        Assert.Equal(15, server.Connections);
        Assert.Equal(10, log.Messages.Count(m => m.StartsWith("Refused server", StringComparison.Ordinal)));
    }

    public void Dispose() => _pki.Dispose();

    private sealed class CountingLoggerProvider : ILoggerProvider, ILogger
    {
        internal ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
