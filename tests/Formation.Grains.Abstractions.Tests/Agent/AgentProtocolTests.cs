using System.Buffers.Binary;
using System.Text;
using Formation.Agent;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Agent;

/// <summary>The host's frame encoders and payload parsers (the byte layout PROTOCOL.md describes).</summary>
public sealed class AgentProtocolTests
{
    [Fact]
    public void Exec_EncodesFlagsWindowAndItemsInOrder()
    {
        var frame = AgentProtocol.Exec(new ExecRequest(["ls", "-l"], ["A=1"], "/tmp", "app", Tty: true, Stdin: true, Rows: 24, Columns: 80));

        Assert.Equal((byte)AgentFrameType.Exec, frame[0]);
        Assert.Equal((uint)(frame.Length - AgentProtocol.HeaderSize), BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1)));
        var payload = frame.AsSpan(AgentProtocol.HeaderSize);
        Assert.Equal(3, payload[0]);
        Assert.Equal(24, BinaryPrimitives.ReadUInt16BigEndian(payload[1..]));
        Assert.Equal(80, BinaryPrimitives.ReadUInt16BigEndian(payload[3..]));
        Assert.Equal(["a:ls", "a:-l", "e:A=1", "d:/tmp", "u:app"], Items(payload[5..].ToArray()));
    }

    [Theory]
    [InlineData(new string[0], "no command given")]
    [InlineData(new[] { "" }, "no command given")]
    [InlineData(new[] { "a\0b" }, "NUL")]
    public void Exec_InvalidCommand_IsRefusedWithTheReason(string[] command, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => AgentProtocol.Exec(new ExecRequest(command)));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Exec_EnvironmentEntryWithoutName_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => AgentProtocol.Exec(new ExecRequest(["env"], ["=x"])));

        Assert.Contains("not NAME=value", error.Message);
    }

    [Fact]
    public void Exec_RequestLargerThanAFrame_IsRefusedWithItsSize()
    {
        var words = Enumerable.Repeat(new string('x', 1000), 70).ToArray();

        var error = Assert.Throws<ArgumentException>(() => AgentProtocol.Exec(new ExecRequest(words)));

        Assert.Contains($"at most {AgentProtocol.MaxPayload} fit", error.Message);
    }

    [Fact]
    public void Frame_PayloadOverTheMaximum_IsRefused() =>
        Assert.Throws<ArgumentException>(() => AgentProtocol.Frame(AgentFrameType.Stdin, new byte[AgentProtocol.MaxPayload + 1]));

    [Fact]
    public void Hello_IsTheMagicAndTheNonce()
    {
        var frame = AgentProtocol.Hello([1, 2, 3, 4, 5, 6, 7, 8]);

        Assert.Equal("01-00-00-00-19", BitConverter.ToString(frame, 0, 5));
        Assert.Equal("FORMATION-AGENT/1", Encoding.ASCII.GetString(frame, 5, 17));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, frame[22..]);
    }

    [Fact]
    public void ParseExit_CodeAndSignal()
    {
        Assert.Equal((3, 0), AgentProtocol.ParseExit([0, 0, 0, 3, 0]));
        Assert.Equal((-1, 9), AgentProtocol.ParseExit([0xff, 0xff, 0xff, 0xff, 9]));
        Assert.Throws<AgentProtocolException>(() => AgentProtocol.ParseExit([0, 0, 0]));
    }

    [Fact]
    public void ParseError_KindAndPrintableMessage()
    {
        var (kind, message) = AgentProtocol.ParseError([1, .. "x: command not found\u001b[2J"u8]);

        Assert.Equal(AgentErrorKind.NotFound, kind);
        Assert.Equal("x: command not found?[2J", message);
        Assert.Throws<AgentProtocolException>(() => AgentProtocol.ParseError([]));
    }

    [Theory]
    [InlineData(AgentErrorKind.NotFound, 127)]
    [InlineData(AgentErrorKind.NotExecutable, 126)]
    [InlineData(AgentErrorKind.StartFailed, 1)]
    public void StartException_ShellExitCode(AgentErrorKind kind, int code) =>
        Assert.Equal(code, new AgentStartException(kind, "x").ShellExitCode);

    [Fact]
    public void Signal_OutOfRange_IsRefused()
    {
        Assert.Equal(new byte[] { 5, 0, 0, 0, 1, 2 }, AgentProtocol.Signal(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => AgentProtocol.Signal(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => AgentProtocol.Signal(65));
    }

    private static List<string> Items(byte[] payload)
    {
        var items = new List<string>();
        for (var at = 0; at < payload.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(at + 1));
            items.Add($"{(char)payload[at]}:{Encoding.UTF8.GetString(payload, at + 3, length)}");
            at += 3 + length;
        }

        return items;
    }
}
