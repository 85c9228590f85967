using System.Globalization;
using System.Runtime.InteropServices;

namespace Mtls.Testing.Files;

/// <summary>
/// FOR TESTS AND LOCAL DEMOS ONLY. Writes a set of files the way Kubernetes' atomic writer updates a projected or
/// CSI volume: the payload goes into a fresh timestamped directory, a <c>..data</c> symlink is swapped to it by
/// rename (atomic), every visible file is a symlink through <c>..data</c>, and the previous directory is removed.
/// </summary>
public sealed partial class AtomicDirectoryWriter
{
    private const string DataLink = "..data";
    private int _generation;

    /// <summary>Creates a writer for <paramref name="directory"/> (created if missing).</summary>
    public AtomicDirectoryWriter(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The volume directory that readers watch.</summary>
    public string Directory { get; }

    /// <summary>Replaces the whole payload atomically with <paramref name="files"/> (name to content).</summary>
    public void Write(IReadOnlyDictionary<string, string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        System.IO.Directory.CreateDirectory(Directory);
        string stamp = string.Create(CultureInfo.InvariantCulture, $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss}.{Interlocked.Increment(ref _generation)}");
        string payload = Path.Combine(Directory, stamp);
        System.IO.Directory.CreateDirectory(payload);
        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(payload, name), content);
        }

        string link = Path.Combine(Directory, DataLink);
        string? previous = File.Exists(link) || System.IO.Directory.Exists(link)
            ? new FileInfo(link).LinkTarget
            : null;
        string tempLink = Path.Combine(Directory, "..data_tmp");
        File.Delete(tempLink);
        File.CreateSymbolicLink(tempLink, stamp);
        // rename(2) replaces the old link in one step; File.Move refuses a symlink that points at a directory.
        if (Rename(tempLink, link) != 0)
        {
            throw new IOException($"rename {tempLink} -> {link} failed: errno {Marshal.GetLastPInvokeError()}");
        }

        foreach (string name in files.Keys)
        {
            string visible = Path.Combine(Directory, name);
            if (new FileInfo(visible).LinkTarget is null)
            {
                File.Delete(visible);
                File.CreateSymbolicLink(visible, Path.Combine(DataLink, name));
            }
        }

        if (previous is not null && !string.Equals(previous, stamp, StringComparison.Ordinal))
        {
            System.IO.Directory.Delete(Path.Combine(Directory, previous), recursive: true);
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string oldPath, string newPath);
}
