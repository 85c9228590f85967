namespace Shop;

/// <summary>The Main of the Kubernetes samples: one role per pod, or <c>--local</c> to play the whole cluster here.</summary>
public static class ShopProgram
{
    /// <summary>Runs the role the arguments name, or <paramref name="local"/> for <c>--local</c>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, Func<ShopArguments, Task<int>> local)
    {
        ArgumentNullException.ThrowIfNull(local);
        ShopArguments arguments;
        try
        {
            arguments = ShopArguments.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"{e.Message}\n{ShopArguments.Usage}");
            return 2;
        }

        if (arguments.Local)
        {
            return await local(arguments);
        }

        var app = arguments.Role == "orders"
            ? OrdersServer.Build($"https://*:{arguments.Port ?? 8443}")
            : FrontendServer.Build($"http://*:{arguments.Port ?? 8080}", arguments.Orders!);
        await app.RunAsync();
        return 0;
    }
}
