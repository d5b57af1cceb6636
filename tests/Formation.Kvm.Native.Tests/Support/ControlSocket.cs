using System.Net.Sockets;
using System.Text;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>One request line to a formation-vmm control socket, one reply line back.</summary>
internal static class ControlSocket
{
    public static async Task<string> CallAsync(string socket, string request)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), TestContext.Current.CancellationToken);
        await using var stream = new NetworkStream(s);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream);
        return await reader.ReadLineAsync(TestContext.Current.CancellationToken) ?? "";
    }
}
