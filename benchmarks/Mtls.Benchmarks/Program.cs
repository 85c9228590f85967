using BenchmarkDotNet.Running;

// `dotnet run -c Release --project benchmarks/Mtls.Benchmarks -- --filter '*' --job short` runs everything in a few
// minutes; narrow it with --filter '*Authoriz*', '*ChainVerification*', '*ServerOptionsSelection*', '*TlsApiHandshake*' or '*SpiffeIdParse*'.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
