using System.Globalization;

namespace Mtls.LoadTest;

/// <summary>Command-line settings; every run is bounded by rounds x scenarios x modes x seconds.</summary>
internal sealed record RunSettings(int Rounds, double Seconds, int Concurrency, string OutputDirectory, int RotationCount, bool RotationOnly, IReadOnlyList<string>? Kinds = null, IReadOnlyList<string>? Modes = null, IReadOnlyList<string>? Paired = null, int Pairs = 20, string? PairedGoals = null)
{
    internal static RunSettings Parse(string[] args)
    {
        var settings = new RunSettings(3, 4, 32, Path.Combine(FindRepositoryRoot(), "benchmarks", "results"), 100, false);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            settings = args[i] switch
            {
                "--rounds" => settings with { Rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--seconds" => settings with { Seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--concurrency" => settings with { Concurrency = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--out" => settings with { OutputDirectory = Path.GetFullPath(args[i + 1]) },
                "--rotation-only" => settings with { RotationOnly = bool.Parse(args[i + 1]) },
                "--rotations" => settings with { RotationCount = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--kinds" => settings with { Kinds = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--paired" => settings with { Paired = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--paired-goals" => settings with { PairedGoals = args[i + 1] is "true" or "all" or "10" or "13" or "16" ? args[i + 1] : throw new ArgumentException("--paired-goals takes true (every goal) or an issue number: 10, 13, 16") },
                "--pairs" => settings with { Pairs = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--modes" => settings with { Modes = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                _ => throw new ArgumentException($"unknown option {args[i]}; use --rounds N --seconds S --concurrency C --out DIR --rotations N --kinds raw,mtls-rules,... --modes h1,h2,h1-new,h2-new --paired baseline,candidate --pairs N --paired-goals true|10|13|16"),
            };
        }

        if (settings.Paired is { Count: not 2 } || settings.Pairs is < 2 or > 200)
        {
            throw new ArgumentException("--paired takes two kinds (baseline,candidate); --pairs 2-200");
        }

        if (settings.Rounds is < 1 or > 20 || settings.Seconds is <= 0 or > 60 || settings.Concurrency is < 1 or > 1024)
        {
            throw new ArgumentException("rounds 1-20, seconds 0-60, concurrency 1-1024");
        }

        return settings;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mtls.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
