using Microsoft.Extensions.DependencyInjection;
using Mtls.Authorization;
using Mtls.Sources;

namespace Mtls.Http.Tests.Interop;

/// <summary>The client side of the interop tests: a factory client with SPIFFE mTLS and resilience.</summary>
public static class InteropClient
{
    public static ServiceProvider Create(IX509Source source, Authorizer authorizer)
    {
        var services = new ServiceCollection();
        services.AddSingleton(source);
        services.AddHttpClient("interop")
            .AddSpiffeMtls(authorizer)
            .AddSpiffeResilience(o => o.Retry.Delay = TimeSpan.FromMilliseconds(1));
        return services.BuildServiceProvider();
    }

    public static System.Net.Http.HttpClient Client(this ServiceProvider services, Uri baseAddress)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("interop");
        client.BaseAddress = baseAddress;
        return client;
    }

    /// <summary>Serials compared as numbers: tools differ on leading zeros.</summary>
    public static string NormalizeSerial(string serial) => serial.Trim().TrimStart('0').ToUpperInvariant();
}
