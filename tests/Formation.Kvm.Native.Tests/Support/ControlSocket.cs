using System.Net.Sockets;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>
/// formation-vmm's control socket from a test: requests go through the contract's client
/// (<see cref="VmmControlClient"/>); <see cref="SendRawLineAsync"/> writes a line as given, for tests of malformed requests.
/// </summary>
internal static class ControlSocket
{
    public static Task<TResult> SendAsync<TResult>(string socket, VmmRequest<TResult> request) =>
        VmmControlClient.SendAsync(socket, request, TestContext.Current.CancellationToken);

    /// <summary>Writes <paramref name="line"/> and a newline, returns the reply line.</summary>
    public static async Task<byte[]> SendRawLineAsync(string socket, string line)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), TestContext.Current.CancellationToken);
        await using var stream = new NetworkStream(s);
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(line + "\n"), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream);
        return System.Text.Encoding.UTF8.GetBytes(await reader.ReadLineAsync(TestContext.Current.CancellationToken) ?? "");
    }
}
