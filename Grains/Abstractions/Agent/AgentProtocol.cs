using System.Buffers.Binary;
using System.Text;
using Formation.Vms;

namespace Formation.Agent;

/// <summary>
/// The guest agent protocol, host side (<c>Silo/Pack/GuestAgent/PROTOCOL.md</c> is the one description; the agent is
/// <c>Silo/Pack/GuestAgent/formation-agent.c</c>): constants, frame encoders and payload parsers. Frames are
/// <c>type u8 | length u32 big-endian | payload</c>, payload at most <see cref="MaxPayload"/> bytes on both sides.
/// </summary>
public static class AgentProtocol
{
    public const int HeaderSize = 5;

    /// <summary>The largest payload either side sends or accepts.</summary>
    public const int MaxPayload = 65536;

    /// <summary>The AF_VSOCK port the agent listens on (formation-vmm).</summary>
    public const int VsockPort = 5252;

    /// <summary>The virtio-serial port name the agent opens (qemu).</summary>
    public const string PortName = "org.formation.agent";

    /// <summary>Where the image's base layer puts the agent.</summary>
    public const string GuestPath = "/usr/lib/formation/agent";

    public const int NonceSize = 8;

    /// <summary>The HELLO magic (protocol version 1).</summary>
    public static ReadOnlySpan<byte> Magic => "FORMATION-AGENT/1"u8;

    /// <summary>The largest piece of stdin one frame carries.</summary>
    public const int StdinChunk = 32 * 1024;

    public static byte[] Frame(AgentFrameType type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayload)
        {
            throw new ArgumentException($"an agent frame carries at most {MaxPayload} bytes, not {payload.Length}.", nameof(payload));
        }

        var frame = new byte[HeaderSize + payload.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>The HELLO payload for <paramref name="nonce"/> (the agent echoes it in HELLO_ACK).</summary>
    public static byte[] HelloPayload(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"the nonce is {NonceSize} bytes.", nameof(nonce));
        }

        return [.. Magic, .. nonce];
    }

    public static byte[] Hello(ReadOnlySpan<byte> nonce) => Frame(AgentFrameType.Hello, HelloPayload(nonce));

    /// <summary>The EXEC frame for <paramref name="request"/>; an invalid or oversized request is refused here.</summary>
    public static byte[] Exec(ExecRequest request)
    {
        if (request.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(request));
        }

        using var payload = new MemoryStream();
        payload.WriteByte((byte)((request.Tty ? 1 : 0) | (request.Stdin ? 2 : 0)));
        Span<byte> u16 = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(u16, (ushort)request.Rows);
        payload.Write(u16);
        BinaryPrimitives.WriteUInt16BigEndian(u16, (ushort)request.Columns);
        payload.Write(u16);
        foreach (var word in request.Command)
        {
            Item(payload, 'a', word);
        }

        foreach (var variable in request.Environment ?? [])
        {
            Item(payload, 'e', variable);
        }

        if (!string.IsNullOrEmpty(request.WorkingDirectory))
        {
            Item(payload, 'd', request.WorkingDirectory);
        }

        if (!string.IsNullOrEmpty(request.User))
        {
            Item(payload, 'u', request.User);
        }

        if (payload.Length > MaxPayload)
        {
            throw new ArgumentException($"the command, its environment and options take {payload.Length} bytes; at most {MaxPayload} fit.", nameof(request));
        }

        return Frame(AgentFrameType.Exec, payload.GetBuffer().AsSpan(0, (int)payload.Length));
    }

    public static byte[] Stdin(ReadOnlySpan<byte> data) => Frame(AgentFrameType.Stdin, data);

    public static byte[] Resize(int rows, int columns)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)Math.Clamp(rows, 0, ushort.MaxValue));
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(2), (ushort)Math.Clamp(columns, 0, ushort.MaxValue));
        return Frame(AgentFrameType.Resize, payload);
    }

    public static byte[] Signal(int signal)
    {
        if (signal is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(signal), signal, "a signal number is 1-64.");
        }

        return Frame(AgentFrameType.Signal, [(byte)signal]);
    }

    /// <summary>The pid in a STARTED payload.</summary>
    public static int ParseStarted(ReadOnlySpan<byte> payload) =>
        payload.Length == 4 ? (int)BinaryPrimitives.ReadUInt32BigEndian(payload)
            : throw new AgentProtocolException($"the guest agent sent a STARTED frame of {payload.Length} bytes (4 expected).");

    /// <summary>The exit code (-1 when killed) and signal (0 when it exited) of an EXIT payload.</summary>
    public static (int Code, int Signal) ParseExit(ReadOnlySpan<byte> payload) =>
        payload.Length == 5 ? (BinaryPrimitives.ReadInt32BigEndian(payload), payload[4])
            : throw new AgentProtocolException($"the guest agent sent an EXIT frame of {payload.Length} bytes (5 expected).");

    /// <summary>The kind and message of an ERROR payload (an unknown kind is kept as its number; the message is printable).</summary>
    public static (AgentErrorKind Kind, string Message) ParseError(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0)
        {
            throw new AgentProtocolException("the guest agent sent an empty ERROR frame.");
        }

        var message = Encoding.UTF8.GetString(payload[1..]);
        var printable = new string(message.Select(c => char.IsControl(c) ? '?' : c).Take(1024).ToArray());
        return ((AgentErrorKind)payload[0], printable);
    }

    private static void Item(MemoryStream payload, char tag, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"one argument or variable may take at most {ushort.MaxValue} bytes, not {bytes.Length}.");
        }

        Span<byte> header = stackalloc byte[3];
        header[0] = (byte)tag;
        BinaryPrimitives.WriteUInt16BigEndian(header[1..], (ushort)bytes.Length);
        payload.Write(header);
        payload.Write(bytes);
    }
}
