using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using ARSoft.Tools.Net.Dns;

namespace Formation.Silo.Dns;

/// <summary>
/// The UDP side of the server, in place of ARSoft's own transport, which starts a task for every datagram with no
/// bound and reads only 512 bytes. Here a few threads receive; each datagram passes the source's rate limit, then a
/// cached answer is sent at once, or the query is queued for the DNS server (ARSoft's, which parses it and asks the
/// <see cref="ZoneAnswerer"/>). At most <c>inFlight</c> queries are being answered; a flood beyond that is dropped
/// here, and beyond the threads' pace by the kernel, so the server never falls behind by more than that.
/// </summary>
public sealed class UdpZoneTransport : IServerTransport
{
    private readonly IPEndPoint _endpoint;
    private readonly int _workers;
    private readonly SourceRateLimiter _limiter;
    private readonly AnswerCache _cache;
    private readonly GuestSources _guests;
    private readonly SemaphoreSlim _inFlight;
    private readonly Channel<Pending> _queue;
    private readonly Socket _socket;
    private readonly List<Thread> _threads = [];
    private readonly DnsMetrics? _metrics;
    private readonly string _role;
    private volatile bool _closed;
    private long _malformed;
    private long _shed;

    public UdpZoneTransport(IPEndPoint endpoint, int workers, SourceRateLimiter limiter, AnswerCache cache, GuestSources guests, SemaphoreSlim inFlight,
        DnsMetrics? metrics = null, string role = "fabric")
    {
        _metrics = metrics;
        _role = role;
        _endpoint = endpoint;
        _workers = workers;
        _limiter = limiter;
        _cache = cache;
        _guests = guests;
        _inFlight = inFlight;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, inFlight.CurrentCount)) { FullMode = BoundedChannelFullMode.DropWrite });
        _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
    }

    /// <summary>The bound endpoint (its port is known after <see cref="Bind"/> when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Datagrams too short or oversized that got no answer or a FORMERR.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Queries dropped because <c>inFlight</c> were being answered.</summary>
    public long Shed => Interlocked.Read(ref _shed);

    public ushort DefaultAllowedResponseSize => 512;

    public bool SupportsMultipleResponses => false;

    public bool AllowTruncatedResponses => true;

    public TransportProtocol TransportProtocol => TransportProtocol.Udp;

    public void Bind()
    {
        _socket.ReceiveBufferSize = 4 << 20;
        _socket.Bind(_endpoint);
        for (var i = 0; i < _workers; i++)
        {
            var thread = new Thread(Receive) { IsBackground = true, Name = $"dns-udp-{_endpoint}-{i}" };
            _threads.Add(thread);
            thread.Start();
        }
    }

    public void Close()
    {
        _closed = true;
        _queue.Writer.TryComplete();
        _socket.Close();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    public void Dispose() => Close();

    public async Task<IServerConnection?> AcceptConnectionAsync(CancellationToken token = default)
    {
        // ARSoft's accept loop is an async void method: an exception here would end the process, so none leaves.
        try
        {
            var pending = await _queue.Reader.ReadAsync(token);
            return new Connection(this, pending);
        }
        catch (Exception)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, token); // closed: wait for the server's stop instead of spinning
            }
            catch (OperationCanceledException)
            {
            }

            return null;
        }
    }

    private void Receive()
    {
        var buffer = new byte[ushort.MaxValue];
        var send = new byte[ushort.MaxValue];
        var key = new byte[AnswerCache.MaxKeyLength];
        var address = new SocketAddress(_endpoint.AddressFamily);
        while (!_closed)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, address);
            }
            catch (SocketException) when (!_closed)
            {
                continue; // e.g. an ICMP error of an earlier send
            }
            catch (Exception) when (_closed)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            try
            {
                Handle(buffer, length, send, key, address);
            }
            catch (Exception) when (!_closed)
            {
                Interlocked.Increment(ref _malformed); // a send that failed; the next datagram goes on
            }
        }
    }

    private void Handle(byte[] buffer, int length, byte[] send, byte[] key, SocketAddress address)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var remote = (IPEndPoint)_endpoint.Create(address);
        if (!_limiter.TryTake(remote.Address))
        {
            return;
        }

        // Not a query header, or a response (never answer one: two servers would echo each other forever).
        if (length < 12 || (buffer[2] & 0x80) != 0)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        // A query over 512 bytes is legal only with EDNS (an OPT record in the additional section). Without one, a
        // FORMERR: just the header, so it is never larger than what was sent.
        if (length > 512 && buffer[10] == 0 && buffer[11] == 0)
        {
            Interlocked.Increment(ref _malformed);
            FormatError(buffer, send, address);
            return;
        }

        // The answer is computed for this asker (carried with the query), whoever holds the address by then: the key and
        // the answer always name the same account.
        var asker = _guests.Asker(remote.Address);
        var keyLength = AnswerCache.WriteKey(buffer.AsSpan(0, length), asker, key);
        if (_cache.TryGet(key.AsSpan(0, keyLength), out var cached))
        {
            cached.CopyTo(send, 0);
            send[0] = buffer[0];
            send[1] = buffer[1];
            _socket.SendTo(send.AsSpan(0, cached.Length), SocketFlags.None, address);
            _metrics?.Answered(_role, "udp", "cache", send[3] & 0x0f, started);
            return;
        }

        if (!_inFlight.Wait(0))
        {
            Interlocked.Increment(ref _shed);
            return;
        }

        var query = new byte[length + DnsRawPackage.LENGTH_HEADER_LENGTH];
        buffer.AsSpan(0, length).CopyTo(query.AsSpan(DnsRawPackage.LENGTH_HEADER_LENGTH));
        query[0] = (byte)(length >> 8);
        query[1] = (byte)length;
        if (!_queue.Writer.TryWrite(new Pending(query, new AskerEndPoint(remote, asker), _cache.Version)))
        {
            _inFlight.Release();
            Interlocked.Increment(ref _shed);
        }
    }

    private void FormatError(byte[] query, byte[] send, SocketAddress address)
    {
        query.AsSpan(0, 4).CopyTo(send);
        send[2] = (byte)(0x80 | (query[2] & 0x79)); // QR, the opcode and RD kept
        send[3] = 0x01; // FORMERR
        send.AsSpan(4, 8).Clear();
        _socket.SendTo(send.AsSpan(0, 12), SocketFlags.None, address);
    }

    private readonly record struct Pending(byte[] Query, AskerEndPoint Remote, long Version);

    private sealed class Connection(UdpZoneTransport transport, Pending pending) : IServerConnection
    {
        private int _released;

        public IServerTransport Transport => transport;

        public IPEndPoint RemoteEndPoint => pending.Remote;

        public IPEndPoint LocalEndPoint => transport._endpoint;

        public bool CanRead { get; private set; } = true;

        public Task<bool> InitializeAsync(CancellationToken token = default) => Task.FromResult(true);

        public Task<DnsReceivedRawPackage?> ReceiveAsync(CancellationToken token = default)
        {
            CanRead = false;
            return Task.FromResult<DnsReceivedRawPackage?>(new DnsReceivedRawPackage(pending.Query, pending.Remote, transport._endpoint));
        }

        public Task<bool> SendAsync(DnsRawPackage package, CancellationToken token = default)
        {
            var bytes = package.ToArraySegment(false);

            // Kept before it is sent: an asker that repeats the question the moment this answer arrives finds it.
            var key = AnswerCache.Key(pending.Query.AsSpan(DnsRawPackage.LENGTH_HEADER_LENGTH), pending.Remote.Asker);
            transport._cache.TryAdd(key, bytes.AsSpan().ToArray(), pending.Version);
            try
            {
                transport._socket.SendTo(bytes.AsSpan(), SocketFlags.None, pending.Remote);
            }
            catch (Exception)
            {
                return Task.FromResult(false);
            }

            return Task.FromResult(true);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                transport._inFlight.Release();
            }
        }
    }
}
