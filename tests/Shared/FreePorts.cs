using System.Net;
using System.Net.Sockets;

namespace Formation.Testing;

/// <summary>
/// Loopback TCP ports nobody listens on right now (bind to 0, read, release), never the same one twice in a process:
/// the kernel hands a released port out again soon, and two silos of parallel tests then collided on it (CI saw a
/// metrics port taken by another test's silo).
/// </summary>
public static class FreePorts
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (Given)
            {
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
