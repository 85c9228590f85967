namespace Gateway;

/// <summary>What a <see cref="BackendServer"/> answers: its name, the path it got, its verified peer, and the caller the gateway vouched for.</summary>
public sealed record BackendView(string Backend, string Path, string Peer, string? Caller);
