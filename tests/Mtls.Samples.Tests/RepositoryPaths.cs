namespace Mtls.Samples.Tests;

internal static class RepositoryPaths
{
    /// <summary>The repository root: the first parent of the test binary that holds Mtls.slnx.</summary>
    internal static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mtls.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Mtls.slnx not found above " + AppContext.BaseDirectory);
    }
}
