namespace Mtls.Sources;

/// <summary>Implemented by the library's sources: the current snapshot and its chosen SVID, read atomically.</summary>
internal interface IX509SelectionSource
{
    /// <summary>The current snapshot with the SVID chosen from it, or null before the first update.</summary>
    X509Selection? Selection { get; }
}
