using BenchmarkDotNet.Running;

// `dotnet run -c Release --project benchmarks/Mtls.Benchmarks -- --filter '*'` runs everything; add `--job short` for a quick run.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
