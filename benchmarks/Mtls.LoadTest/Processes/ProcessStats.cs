using System.Globalization;

namespace Mtls.LoadTest.Processes;

/// <summary>CPU time and peak resident memory of a process tree, read from /proc (Linux only).</summary>
internal static class ProcessStats
{
    private const double TicksPerSecond = 100.0;

    /// <summary>User + system CPU seconds of <paramref name="pid"/> and its live descendants.</summary>
    internal static double CpuSeconds(int pid) => Tree(pid).Sum(p => CpuSecondsOf(p));

    /// <summary>Sum of the peak RSS (VmHWM) of <paramref name="pid"/> and its live descendants, in MiB.</summary>
    internal static double PeakRssMiB(int pid) => Tree(pid).Sum(p => StatusKb(p, "VmHWM:")) / 1024.0;

    internal static IEnumerable<int> Tree(int pid)
    {
        var result = new List<int> { pid };
        for (int i = 0; i < result.Count; i++)
        {
            string children = $"/proc/{result[i]}/task/{result[i]}/children";
            if (!File.Exists(children))
            {
                continue;
            }

            string text = SafeRead(children);
            result.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
        }

        return result;
    }

    private static double CpuSecondsOf(int pid)
    {
        string stat = SafeRead($"/proc/{pid}/stat");
        if (stat.Length == 0)
        {
            return 0;
        }

        // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    private static long StatusKb(int pid, string key)
    {
        foreach (string line in SafeRead($"/proc/{pid}/status").Split('\n'))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
