namespace Mtls.Http;

/// <summary>
/// A JWT-SVID was about to be sent over plaintext (an <c>http://</c> URI or an insecure gRPC channel) to a host the
/// application did not name in <see cref="SpiffeJwtClientOptions.PlaintextHosts"/>: nothing was sent. Not transient.
/// </summary>
public sealed class SpiffeJwtPlaintextException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public SpiffeJwtPlaintextException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SpiffeJwtPlaintextException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SpiffeJwtPlaintextException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
