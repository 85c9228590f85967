namespace Mtls.Federation;

/// <summary>A fetch from a bundle endpoint failed or its bundle was refused; the message says why (safe to log once sanitized).</summary>
internal sealed class BundleFetchException(string message, Exception? innerException = null) : Exception(message, innerException);
