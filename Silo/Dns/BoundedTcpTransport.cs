using System.Net;
using ARSoft.Tools.Net.Dns;

namespace Formation.Silo.Dns;

/// <summary>
/// ARSoft's TCP transport with bounds: at most <c>maxConnections</c> open (the next accept waits for one to close),
/// and every query on a connection takes a token of its source's rate limit (an exhausted source's connection is
/// closed). ARSoft's transport already bounds a message to 65,535 bytes and times out idle and slow connections.
/// </summary>
public sealed class BoundedTcpTransport(TcpServerTransport inner, int maxConnections, SourceRateLimiter limiter) : IServerTransport
{
    private readonly SemaphoreSlim _connections = new(maxConnections, maxConnections);
    private readonly SourceRateLimiter _limiter = limiter;

    public ushort DefaultAllowedResponseSize => inner.DefaultAllowedResponseSize;

    public bool SupportsMultipleResponses => inner.SupportsMultipleResponses;

    public bool AllowTruncatedResponses => inner.AllowTruncatedResponses;

    public TransportProtocol TransportProtocol => inner.TransportProtocol;

    public void Bind() => inner.Bind();

    public void Close() => inner.Close();

    public void Dispose() => inner.Dispose();

    public async Task<IServerConnection?> AcceptConnectionAsync(CancellationToken token = default)
    {
        // Called from ARSoft's async void accept loop: nothing may be thrown from here.
        try
        {
            await _connections.WaitAsync(token);
        }
        catch (Exception)
        {
            return null;
        }

        var connection = await inner.AcceptConnectionAsync(token);
        if (connection is null)
        {
            _connections.Release();
            return null;
        }

        return new Connection(this, connection);
    }

    private sealed class Connection(BoundedTcpTransport transport, IServerConnection inner) : IServerConnection
    {
        private int _released;

        public IServerTransport Transport => transport;

        public IPEndPoint RemoteEndPoint => inner.RemoteEndPoint;

        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public bool CanRead => inner.CanRead;

        public Task<bool> InitializeAsync(CancellationToken token = default) => inner.InitializeAsync(token);

        public async Task<DnsReceivedRawPackage?> ReceiveAsync(CancellationToken token = default)
        {
            var package = await inner.ReceiveAsync(token);
            if (package is null || !transport._limiter.TryTake(package.RemoteEndpoint.Address))
            {
                Dispose();
                return null;
            }

            return package;
        }

        public Task<bool> SendAsync(DnsRawPackage package, CancellationToken token = default) => inner.SendAsync(package, token);

        public void Dispose()
        {
            inner.Dispose();
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                transport._connections.Release();
            }
        }
    }
}
