using System.IO.Pipelines;

namespace Formation.P2p.Tests.Support;

/// <summary>Two connected in-memory streams (a socket pair without sockets); disposing one ends the other's reads.</summary>
public static class DuplexPipe
{
    /// <summary>A connected pair.</summary>
    public static (Stream A, Stream B) Create()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        return (new End(ba.Reader.AsStream(), ab.Writer.AsStream()), new End(ab.Reader.AsStream(), ba.Writer.AsStream()));
    }

    private sealed class End(Stream reader, Stream writer) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => reader.ReadAsync(buffer, cancellationToken);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await writer.WriteAsync(buffer, cancellationToken);
            await writer.FlushAsync(cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count) => reader.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count)
        {
            writer.Write(buffer, offset, count);
            writer.Flush();
        }

        public override void Flush() => writer.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                writer.Dispose();
                reader.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
