using System.Globalization;

namespace Shop;

/// <summary>
/// The command line of a sample: <c>--role orders|frontend [--orders URL] [--port N]</c>, or <c>--local [--seconds N]</c>
/// to run both roles on this machine.
/// </summary>
public sealed record ShopArguments(string? Role, Uri? Orders, int? Port, bool Local, int Seconds)
{
    public const string Usage = "usage: --role orders [--port 8443] | --role frontend --orders https://orders.shop.svc [--port 8080] | --local [--seconds 15]";

    public static ShopArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? role = null;
        Uri? orders = null;
        int? port = null;
        bool local = false;
        int seconds = 15;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--role":
                    role = Value(args, ref i);
                    if (role is not ("orders" or "frontend"))
                    {
                        throw new ArgumentException($"--role must be orders or frontend, not '{role}'");
                    }

                    break;
                case "--orders":
                    orders = Uri.TryCreate(Value(args, ref i), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                        ? uri
                        : throw new ArgumentException($"--orders must be an https URL, not '{args[i]}'");
                    break;
                case "--port":
                    port = Number(args, ref i, "--port", 0, 65535);
                    break;
                case "--seconds":
                    seconds = Number(args, ref i, "--seconds", 1, 3600);
                    break;
                case "--local":
                    local = true;
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }

        if (!local && role is null)
        {
            throw new ArgumentException("--role or --local is required");
        }

        if (role == "frontend" && orders is null)
        {
            throw new ArgumentException("--role frontend needs --orders (e.g. https://orders.shop.svc)");
        }

        return new ShopArguments(role, orders, port, local, seconds);
    }

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static int Number(IReadOnlyList<string> args, ref int i, string name, int min, int max)
    {
        string value = Value(args, ref i);
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} must be a number from {min} to {max}, not '{value}'");
    }
}
