using Mtls.Tls;

namespace Mtls.DataStores.Tests;

internal static class Refusals
{
    /// <summary>The <see cref="SpiffePeerRefusedException"/> a library wrapped somewhere in <paramref name="error"/>'s chain.</summary>
    internal static SpiffePeerRefusedException Find(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SpiffePeerRefusedException refused)
            {
                return refused;
            }
        }

        throw new Xunit.Sdk.XunitException($"no SpiffePeerRefusedException in the exception chain:\n{error}");
    }
}
