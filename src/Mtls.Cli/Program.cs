using Mtls.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C ends a --watch cleanly (exit 0) instead of killing the process mid-write.
    e.Cancel = true;
    cancellation.Cancel();
};
return await MtlsCli.RunAsync(args, Console.Out, Console.Error, cancellation.Token).ConfigureAwait(false);
