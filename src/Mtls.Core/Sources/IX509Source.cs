using Microsoft.Extensions.Primitives;

namespace Mtls.Sources;

/// <summary>
/// A live source of this workload's X.509 identity and trust bundles, such as the Workload API or mounted files.
/// Reads are answered from memory. Rotation is signalled through <see cref="GetChangeToken"/>, the change-token
/// idiom of Microsoft.Extensions (configuration, options, file providers): take a token, register a callback
/// (or use <see cref="ChangeToken.OnChange(Func{IChangeToken}, Action)"/>), and read <see cref="Current"/> again
/// when it fires. A token fires once; take a new one after it has.
/// </summary>
/// <remarks>
/// A change callback runs on the source's own thread and should be quick. If it throws, the exception is logged (once
/// per callback) and goes no further: the source keeps rotating, the other callbacks still run, and the process is
/// not affected.
/// </remarks>
public interface IX509Source : IX509SvidSource, IX509BundleSource
{
    /// <summary>
    /// The latest snapshot, or null before the first update. A snapshot and everything in it stays usable for as long as
    /// the caller holds it, across rotations, until the source is disposed (see <see cref="IX509SvidSource.GetX509Svid"/>).
    /// Which of its SVIDs the workload presents is <see cref="IX509SvidSource.GetX509Svid"/>'s answer.
    /// </summary>
    X509Context? Current { get; }

    /// <summary>A token that fires on the next change of <see cref="Current"/>.</summary>
    IChangeToken GetChangeToken();
}
