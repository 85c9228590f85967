namespace Mtls.Http;

/// <summary>Marks a named client as SPIFFE mTLS, for <see cref="SpiffeHandlerBuilderFilter"/>.</summary>
internal sealed record SpiffeClientRegistration(string Name);
