using System.Net;
using System.Net.Sockets;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// What hostile or broken senders do to the server: thousands of mutated packets (seeded, so a failure replays),
/// garbage over TCP, a flood from one source against its rate limit. Each ends by asking a valid question, which
/// must still be answered.
/// </summary>
public sealed class ZoneServerAbuseTests
{
    private const int Seed = 20261206;

    [Fact]
    public async Task MutatedPackets_Thousands_NeitherCrashNorStall_AndAValidQueryStillAnswers()
    {
        using var zone = new LiveZone(o => o.RateLimit = 0);
        zone.SetVm("web", "10.77.3.7");
        var server = new IPEndPoint(IPAddress.Loopback, zone.Port);
        var random = new Random(Seed);
        byte[][] templates =
        [
            DnsWire.Query(1, "web.fog"), DnsWire.Query(2, "web.fog", 28, edns: true), DnsWire.Query(3, "_http._tcp.web.fog", 33),
            DnsWire.Query(4, "example.com"), DnsWire.Query(5, "a.b.c.d.e.f.g.fog", 255, edns: true),
        ];

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var drain = DrainAsync(socket);
        for (var i = 0; i < 5000; i++)
        {
            var packet = Mutate(templates[random.Next(templates.Length)], random);
            await socket.SendToAsync(packet, server);
            if (i % 200 == 0)
            {
                await Task.Delay(5); // let the server breathe a little so the kernel does not simply drop most of them
            }
        }

        // Garbage over TCP: lengths that lie, a message cut short, random bytes.
        for (var i = 0; i < 50; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(server);
            var body = Mutate(templates[random.Next(templates.Length)], random);
            var length = random.Next(3) switch { 0 => body.Length, 1 => random.Next(0, 65536), _ => body.Length + 100 };
            byte[] framed = [(byte)(length >> 8), (byte)length, .. body];
            await tcp.GetStream().WriteAsync(framed);
        }

        var answer = await DnsWire.ExchangeAsync(server, DnsWire.Query(9, "web.fog"), TimeSpan.FromSeconds(3));
        Assert.NotNull(answer);
        Assert.Equal(9, DnsWire.Id(answer));
        Assert.Equal(0, DnsWire.Rcode(answer));
        Assert.Equal(1, DnsWire.AnswerCount(answer));

        var dig = await Dig.QueryAsync("127.0.0.1", zone.Port, "web.fog", "A", null, "+tcp");
        Assert.Equal(["web.fog. 5 IN A 10.77.3.7"], dig.Answers);
        Assert.True(zone.Server.Errors + zone.Server.Malformed > 0, "the mutated packets reached the server and were refused as malformed");
        socket.Close();
        await drain;
    }

    [Fact]
    public async Task OneSourceFlooding_IsHeldToItsBucket_AnotherSourceIsStillAnswered()
    {
        using var zone = new LiveZone(o =>
        {
            o.RateLimit = 20;
            o.RateBurst = 20;
        });
        zone.SetVm("web", "10.77.3.7");
        var server = new IPEndPoint(IPAddress.Loopback, zone.Port);

        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flooder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var answered = 0;
        var counting = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            try
            {
                while (true)
                {
                    await flooder.ReceiveAsync(buffer);
                    Interlocked.Increment(ref answered);
                }
            }
            catch (Exception)
            {
                // closed
            }
        });
        var started = DateTime.UtcNow;
        for (var i = 0; i < 500; i++)
        {
            await flooder.SendToAsync(DnsWire.Query((ushort)i, "web.fog"), server);
        }

        // Answers may take a moment on a busy machine: wait for the burst's, then a little more for any beyond it.
        await Eventually.TrueAsync(() => Volatile.Read(ref answered) >= 20, TimeSpan.FromSeconds(10), "the burst's 20 answers");
        await Task.Delay(300);
        var elapsed = (DateTime.UtcNow - started).TotalSeconds;
        var fromFlooder = Volatile.Read(ref answered);

        // A second source on another loopback address has its own bucket.
        var other = await DnsWire.ExchangeAsync(server, DnsWire.Query(7, "web.fog"), TimeSpan.FromSeconds(3), from: IPAddress.Parse("127.0.0.2"));
        flooder.Close();
        await counting;

        Assert.InRange(fromFlooder, 20, 20 + (int)Math.Ceiling(20 * elapsed) + 1);
        Assert.True(zone.Limiter.Dropped >= 500 - fromFlooder - 1, $"dropped {zone.Limiter.Dropped}");
        Assert.NotNull(other);
        Assert.Equal(1, DnsWire.AnswerCount(other));
    }

    /// <summary>Byte flips, truncation, random tails, compression pointers anywhere, or plain noise.</summary>
    private static byte[] Mutate(byte[] template, Random random)
    {
        var packet = template.ToList();
        switch (random.Next(6))
        {
            case 0:
                for (var n = random.Next(1, 6); n > 0; n--)
                {
                    packet[random.Next(packet.Count)] = (byte)random.Next(256);
                }

                break;
            case 1:
                packet = packet.Take(random.Next(packet.Count)).ToList();
                break;
            case 2:
                packet.AddRange(Enumerable.Range(0, random.Next(1, 700)).Select(_ => (byte)random.Next(256)));
                break;
            case 3:
                var at = random.Next(12, packet.Count - 1);
                packet[at] = (byte)(0xc0 | random.Next(64));
                packet[at + 1] = (byte)random.Next(256);
                break;
            case 4:
                packet[4] = (byte)random.Next(256); // section counts that lie
                packet[5] = (byte)random.Next(256);
                packet[10] = (byte)random.Next(256);
                packet[11] = (byte)random.Next(256);
                break;
            default:
                packet = Enumerable.Range(0, random.Next(0, 1024)).Select(_ => (byte)random.Next(256)).ToList();
                break;
        }

        return [.. packet];
    }

    private static async Task DrainAsync(Socket socket)
    {
        var buffer = new byte[65535];
        try
        {
            while (true)
            {
                await socket.ReceiveAsync(buffer);
            }
        }
        catch (Exception)
        {
            // closed at the end of the test
        }
    }
}
