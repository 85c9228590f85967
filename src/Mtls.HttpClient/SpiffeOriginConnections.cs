namespace Mtls.Http;

/// <summary>
/// The identities of the live connections a handler holds to one origin (host and port), with an epoch that advances
/// whenever a connection with an identity not already live opens. SocketsHttpHandler does not say which connection
/// carried a request (HTTP/2 multiplexes, pools reuse), so a request is attributed only when every connection that
/// could have carried it has the same identity: those live when it started, plus those opened before it ended. Epochs
/// make that checkable from two reads; anything else (two identities, two openings) attributes nothing, never a guess.
/// </summary>
internal sealed class SpiffeOriginConnections
{
    private readonly Lock _lock = new();
    private readonly Dictionary<SpiffeConnectionIdentity, int> _live = [];
    private State _state = new(0, null, Empty: true, LastAdded: null);

    /// <summary>What <see cref="Attribute"/> compares with; read when a request starts.</summary>
    internal State Current => Volatile.Read(ref _state);

    /// <summary>Counts a connection with <paramref name="identity"/> as live until the result is disposed.</summary>
    internal void Open(SpiffeConnectionIdentity identity)
    {
        lock (_lock)
        {
            var state = _state;
            long epoch = state.Epoch;
            SpiffeConnectionIdentity? added = state.LastAdded;
            if (_live.TryGetValue(identity, out int count))
            {
                _live[identity] = count + 1;
            }
            else
            {
                _live[identity] = 1;
                epoch++;
                added = identity;
            }

            Publish(epoch, added);
        }
    }

    /// <summary>A connection counted by <see cref="Open"/> closed.</summary>
    internal void Close(SpiffeConnectionIdentity identity)
    {
        lock (_lock)
        {
            if (!_live.TryGetValue(identity, out int count))
            {
                return;
            }

            if (count <= 1)
            {
                _live.Remove(identity);
            }
            else
            {
                _live[identity] = count - 1;
            }

            Publish(_state.Epoch, _state.LastAdded);
        }
    }

    /// <summary>
    /// The identity of the connection that carried a request which started at <paramref name="start"/> and has its
    /// response now, or null when more than one identity could have carried it.
    /// </summary>
    internal SpiffeConnectionIdentity? Attribute(State start)
    {
        var end = Current;
        if (end.Epoch == start.Epoch)
        {
            // No identity became live since the start: the carrier was live then, and all live then were Sole.
            return start.Sole;
        }

        // Exactly one opening of a new identity since the start: the carrier was live then or is that one.
        if (end.Epoch == start.Epoch + 1 && end.LastAdded is { } added && (start.Empty || added.Equals(start.Sole)))
        {
            return added;
        }

        return null;
    }

    private void Publish(long epoch, SpiffeConnectionIdentity? lastAdded)
    {
        var sole = _live.Count == 1 ? _live.Keys.First() : null;
        Volatile.Write(ref _state, new State(epoch, sole, _live.Count == 0, lastAdded));
    }

    /// <summary>One moment of the origin's connections.</summary>
    /// <param name="Epoch">Advances when an identity not live before becomes live.</param>
    /// <param name="Sole">The identity of every live connection, when there is exactly one.</param>
    /// <param name="Empty">No connection is live.</param>
    /// <param name="LastAdded">The identity whose opening advanced the epoch to <paramref name="Epoch"/>.</param>
    internal sealed record State(long Epoch, SpiffeConnectionIdentity? Sole, bool Empty, SpiffeConnectionIdentity? LastAdded);
}
