using Formation.Silo.Images;

namespace Formation.Silo.Tests.Images;

/// <summary>
/// The stream under the image stream's TLS: the bytes and their order never change, reads take many records' worth at
/// once, and writes are held back only while gathering, until a flush. (Every <c>ImageStreamTests</c> case runs the real
/// server and client over it.)
/// </summary>
public class BatchingStreamTests
{
    /// <summary>Counts the calls that reach it, as a socket would see them.</summary>
    private sealed class CountingStream(byte[] content) : MemoryStream
    {
        public CountingStream() : this([])
        {
        }

        public int Reads { get; private set; }

        public int Writes { get; private set; }

        public MemoryStream Sent { get; } = new();

        private readonly MemoryStream _source = new(content);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            return _source.ReadAsync(buffer, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            return Sent.WriteAsync(buffer, cancellationToken);
        }
    }

    private static byte[] Random(int length)
    {
        var bytes = new byte[length];
        System.Random.Shared.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Gathering_SendsWholeBuffersUntilAFlush_ThenTheRest_SameBytesInOrder()
    {
        var content = Random(3 * BatchingStream.BufferBytes + 12345);
        var socket = new CountingStream();
        var stream = new BatchingStream(socket) { GatherWrites = true };
        for (var offset = 0; offset < content.Length; offset += 16 * 1024 + 29) // TLS-record-sized pieces
        {
            await stream.WriteAsync(content.AsMemory(offset, Math.Min(16 * 1024 + 29, content.Length - offset)));
        }

        Assert.Equal(3, socket.Writes);
        Assert.Equal(3 * BatchingStream.BufferBytes, socket.Sent.Length);

        await stream.FlushAsync();
        Assert.Equal(4, socket.Writes);
        Assert.Equal(content, socket.Sent.ToArray());
    }

    [Fact]
    public async Task NotGathering_EveryWriteGoesOutAsItIsMade()
    {
        var socket = new CountingStream();
        var stream = new BatchingStream(socket);
        await stream.WriteAsync("{\"ticket\":1}"u8.ToArray());
        await stream.WriteAsync("\n"u8.ToArray());

        Assert.Equal(2, socket.Writes);
        Assert.Equal("{\"ticket\":1}\n"u8.ToArray(), socket.Sent.ToArray());
    }

    [Fact]
    public async Task SmallReads_AreServedFromFewSocketReads_SameBytesInOrder_ThenTheEnd()
    {
        var content = Random(4 * BatchingStream.BufferBytes + 777);
        var socket = new CountingStream(content);
        var stream = new BatchingStream(socket);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024 + 29];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        Assert.Equal(content, received.ToArray());
        Assert.Equal(6, socket.Reads); // 5 fills and the end, instead of one per record (~66)
    }
}
