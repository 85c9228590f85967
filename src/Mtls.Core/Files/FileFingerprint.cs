namespace Mtls.Files;

/// <summary>
/// What a file looks like without reading it: the real path behind any symlinks (which changes when Kubernetes
/// swaps <c>..data</c>), its length and its last write time. Cheap enough to take on every poll.
/// </summary>
internal readonly record struct FileFingerprint(string? RealPath, long Length, DateTime LastWriteUtc)
{
    internal static FileFingerprint Take(string path)
    {
        try
        {
            var info = new FileInfo(path);
            var target = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            return target.Exists
                ? new FileFingerprint(target.FullName, target.Length, target.LastWriteTimeUtc)
                : default;
        }
        catch (IOException)
        {
            return default;
        }
        catch (UnauthorizedAccessException)
        {
            return default;
        }
    }
}
