using System.Globalization;
using Formation.Silo.Platform;

namespace Formation.Silo.Network;

/// <summary>
/// One WireGuard interface driven through <c>wg</c> and <c>ip</c>: the kernel's where the host has the module,
/// <c>wireguard-go</c> otherwise (a separate daemon, so the tunnel outlives the silo). Everything is idempotent.
/// </summary>
public sealed class WireGuardInterface(string name)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public string Name => name;

    /// <summary>"kernel" or "wireguard-go": what made the interface (known after <see cref="EnsureAsync"/>).</summary>
    public string Implementation { get; private set; } = "";

    /// <summary>Makes the key pair on first use: the private key 0600 in <paramref name="directory"/>. Returns the public key.</summary>
    public static async Task<(string PrivateKeyPath, string PublicKey)> EnsureKeyAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(directory, "private.key");
        if (!File.Exists(path))
        {
            var key = await ProcessRunner.CaptureAsync("wg", ["genkey"], cancellationToken);
            var temp = path + ".new";
            await using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                await file.WriteAsync(System.Text.Encoding.ASCII.GetBytes(key + "\n"), cancellationToken);
            }

            File.Move(temp, path, overwrite: true);
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var privateKey = (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
        var publicKey = await PublicKeyAsync(privateKey, cancellationToken);
        return (path, publicKey);
    }

    public static async Task<string> PublicKeyAsync(string privateKey, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var result = await ProcessRunner.RunAsync("wg", ["pubkey"], lines.Add, 5, Timeout, cancellationToken,
            writeStdin: (s, ct) => s.WriteAsync(System.Text.Encoding.ASCII.GetBytes(privateKey + "\n"), ct).AsTask());
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"wg pubkey failed: {string.Join(" | ", result.OutputTail)}");
        }

        return string.Join("", lines).Trim();
    }

    /// <summary>Creates the interface if missing, sets key and port, puts the overlay address on it and brings it up.</summary>
    public async Task EnsureAsync(string privateKeyPath, int listenPort, string overlayAddress, CancellationToken cancellationToken)
    {
        if (await HostNetwork.LinkExistsAsync(name, cancellationToken))
        {
            Implementation = await IsKernelAsync(cancellationToken) ? "kernel" : "wireguard-go";
        }
        else
        {
            var kernel = await ProcessRunner.RunAsync("ip", ["link", "add", name, "type", "wireguard"], null, 5, Timeout, cancellationToken);
            if (kernel.ExitCode == 0)
            {
                Implementation = "kernel";
            }
            else
            {
                // wireguard-go daemonises itself with its output on /dev/null; it exits when the interface is deleted.
                var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                    .Where(e => (string)e.Key != "LOG_LEVEL" && (string)e.Key != "WG_PROCESS_FOREGROUND")
                    .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
                var go = await ProcessRunner.RunAsync("wireguard-go", [name], null, 20, Timeout, cancellationToken, environment: env);
                if (go.ExitCode != 0 || !await HostNetwork.LinkExistsAsync(name, cancellationToken))
                {
                    throw new InvalidOperationException(
                        $"could not create WireGuard interface {name}: the kernel has no wireguard module ({string.Join(" ", kernel.OutputTail)}) " +
                        $"and wireguard-go failed ({string.Join(" | ", go.OutputTail)}). Install the Debian package wireguard-go or the kernel module.");
                }

                Implementation = "wireguard-go";
            }
        }

        await ProcessRunner.CaptureAsync("wg", ["set", name, "private-key", privateKeyPath, "listen-port", listenPort.ToString(CultureInfo.InvariantCulture)], cancellationToken);
        await ProcessRunner.CaptureAsync("ip", ["addr", "replace", overlayAddress + "/32", "dev", name], cancellationToken);
        await ProcessRunner.CaptureAsync("ip", ["link", "set", name, "up"], cancellationToken);
    }

    /// <summary>The peers the interface has now.</summary>
    public async Task<IReadOnlyList<WireGuardPeerState>> PeersAsync(CancellationToken cancellationToken)
    {
        var text = await ProcessRunner.CaptureAsync("wg", ["show", name, "dump"], cancellationToken);
        var peers = new List<WireGuardPeerState>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            // public-key preshared-key endpoint allowed-ips latest-handshake rx tx keepalive
            var f = line.Split('\t');
            if (f.Length < 5)
            {
                continue;
            }

            var handshake = long.TryParse(f[4], out var seconds) && seconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;
            var allowed = f[3] == "(none)" ? [] : f[3].Split(',', StringSplitOptions.RemoveEmptyEntries);
            peers.Add(new WireGuardPeerState(f[0], f[2] == "(none)" ? null : f[2], allowed, handshake));
        }

        return peers;
    }

    /// <summary>Adds or updates a peer; the endpoint is set only when given (a roamed endpoint is otherwise kept).</summary>
    public Task SetPeerAsync(MeshPeer peer, bool setEndpoint, CancellationToken cancellationToken)
    {
        var args = new List<string> { "set", name, "peer", peer.PublicKey, "allowed-ips", string.Join(',', peer.AllowedIps), "persistent-keepalive", "25" };
        if (setEndpoint && peer.Endpoint is not null)
        {
            args.AddRange(["endpoint", peer.Endpoint]);
        }

        return ProcessRunner.CaptureAsync("wg", args, cancellationToken);
    }

    /// <summary>
    /// Sets the peer's endpoint to what it already is, which makes WireGuard forget the source address it sends from:
    /// wireguard-go sticks to the local address a peer's packets came to, and once this host no longer has that address
    /// (it moved) every send fails (ENETUNREACH) until something resets it.
    /// </summary>
    public Task ResetSourceAsync(string publicKey, string endpoint, CancellationToken cancellationToken) =>
        ProcessRunner.CaptureAsync("wg", ["set", name, "peer", publicKey, "endpoint", endpoint], cancellationToken);

    public Task RemovePeerAsync(string publicKey, CancellationToken cancellationToken) =>
        ProcessRunner.CaptureAsync("wg", ["set", name, "peer", publicKey, "remove"], cancellationToken);

    /// <summary>Routes exactly <paramref name="cidrs"/> through the interface, sourced from the overlay address.</summary>
    public async Task SyncRoutesAsync(IReadOnlyCollection<string> cidrs, string overlayAddress, CancellationToken cancellationToken)
    {
        var text = await ProcessRunner.CaptureAsync("ip", ["-4", "route", "show", "dev", name], cancellationToken);
        var present = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var cidr in cidrs)
        {
            var key = cidr.EndsWith("/32", StringComparison.Ordinal) ? cidr[..^3] : cidr;
            if (!present.Contains(key))
            {
                await ProcessRunner.CaptureAsync("ip", ["route", "replace", cidr, "dev", name, "src", overlayAddress], cancellationToken);
            }
        }

        var wanted = cidrs.Select(c => c.EndsWith("/32", StringComparison.Ordinal) ? c[..^3] : c).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in present.Where(p => !wanted.Contains(p)))
        {
            await ProcessRunner.RunAsync("ip", ["route", "del", stale, "dev", name], null, 5, Timeout, cancellationToken);
        }
    }

    private async Task<bool> IsKernelAsync(CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("ip", ["-d", "-o", "link", "show", "dev", name], null, 5, Timeout, cancellationToken);
        return string.Join(' ', result.OutputTail).Contains("wireguard", StringComparison.Ordinal);
    }
}
