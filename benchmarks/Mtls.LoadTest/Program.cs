using Mtls.LoadTest;
using Mtls.LoadTest.Servers;

if (args.Length > 0 && args[0] == "serve")
{
    await ServerApp.RunAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), args[4]);
    return 0;
}

return await Runner.RunAsync(RunSettings.Parse(args));
