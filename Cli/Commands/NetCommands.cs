using System.CommandLine;
using System.Diagnostics;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Errors;
using Formation.Networking;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary><c>form net join|leave|devices|peers</c>: user devices in the WireGuard mesh.</summary>
public static class NetCommands
{
    public static Command Create(FormApp app)
    {
        var net = new Command("net", "The WireGuard mesh: user devices and peers");
        net.Subcommands.Add(Join(app));
        net.Subcommands.Add(Leave(app));
        net.Subcommands.Add(Devices(app));
        net.Subcommands.Add(Peers(app));
        return net;
    }

    private static Command Join(FormApp app)
    {
        var name = new Option<string>("--name") { Description = "The device's name (a DNS label, unique in the mesh)", Required = true };
        var output = new Option<string?>("--out") { Description = "Write the wg-quick config to this file (mode 0600) instead of printing it" };
        var join = new Command("join", "Make this device a mesh peer and print its WireGuard (wg-quick) config") { name, output };
        join.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var deviceName = parse.GetValue(name)!;
            var file = parse.GetValue(output);
            Names.RequireDnsLabel(deviceName, "Device name");
            if (file is not null && File.Exists(file))
            {
                throw FormationException.Conflict($"{file} exists; choose another --out file or remove it first.");
            }

            var nodes = DeviceConfig.MeshNodes(await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync());
            if (nodes.Count == 0)
            {
                throw FormationException.Invalid("No node of this cluster runs the mesh yet (nodes start it in cluster mode; see --mesh of formation-silo).");
            }

            // The private key is made here and never leaves this machine; the cluster learns only the public key.
            var privateKey = await WgAsync(["genkey"], null, ct);
            var publicKey = await WgAsync(["pubkey"], privateKey, ct);
            var devices = client.GetGrain<INetDevicesGrain>(GrainKeys.Cluster);
            var device = await devices.JoinAsync(deviceName, publicKey);
            var config = DeviceConfig.Render(privateKey, device, nodes);
            if (file is null)
            {
                app.Terminal.Out.Write(config);
                return ExitCodes.Ok;
            }

            try
            {
                await using var stream = new FileStream(file, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(config), ct);
            }
            catch
            {
                await devices.LeaveAsync(deviceName); // nothing half-configured: no device without its config
                throw;
            }

            app.Terminal.Out.WriteLine($"Device {device.Name} joined at {device.Address}; config written to {file} (bring it up with wg-quick up).");
            return ExitCodes.Ok;
        }));
        return join;
    }

    private static Command Leave(FormApp app)
    {
        var name = new Argument<string>("name") { Description = "The device to remove" };
        var leave = new Command("leave", "Remove a device from the mesh (every node drops it within seconds)") { name };
        leave.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            await client.GetGrain<INetDevicesGrain>(GrainKeys.Cluster).LeaveAsync(parse.GetValue(name)!);
            app.Terminal.Out.WriteLine($"Device {parse.GetValue(name)} left the mesh.");
            return ExitCodes.Ok;
        }));
        return leave;
    }

    private static Command Devices(FormApp app)
    {
        var json = FormApp.JsonOption();
        var devices = new Command("devices", "List the user devices in the mesh") { json };
        devices.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var list = await client.GetGrain<INetDevicesGrain>(GrainKeys.Cluster).ListAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, list);
                return ExitCodes.Ok;
            }

            var table = new TextTable("DEVICE", "ADDRESS", "PUBLIC KEY", "JOINED");
            foreach (var d in list)
            {
                table.Add(d.Name, d.Address, d.PublicKey, Units.Ago(d.JoinedAt, DateTimeOffset.UtcNow));
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return devices;
    }

    private static Command Peers(FormApp app)
    {
        var json = FormApp.JsonOption();
        var peers = new Command("peers", "List nodes, devices and VMs with their overlay addresses") { json };
        peers.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var nodes = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
            var devices = await client.GetGrain<INetDevicesGrain>(GrainKeys.Cluster).ListAsync();
            var vms = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
            var rows = new List<NetPeerRow>();
            rows.AddRange(nodes.Where(n => n.Info.Mesh is not null).Select(n =>
                new NetPeerRow("node", n.NodeId, n.Info.Mesh!.OverlayAddress, n.Info.Mesh.Subnet, n.Info.Mesh.Endpoint, n.Health.ToString())));
            rows.AddRange(devices.Select(d => new NetPeerRow("device", d.Name, d.Address, d.Address + "/32", "(roaming)", "")));
            rows.AddRange(vms.Where(v => !string.IsNullOrEmpty(v.Address)).Select(v =>
                new NetPeerRow("vm", v.Name, v.Address!, "", v.NodeId, v.State.ToString())));
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, rows);
                return ExitCodes.Ok;
            }

            var table = new TextTable("KIND", "NAME", "ADDRESS", "ROUTES", "ENDPOINT / NODE", "STATE");
            foreach (var r in rows)
            {
                table.Add(r.Kind, r.Name, r.Address, r.Routes, r.Endpoint, r.State);
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return peers;
    }

    private static async Task<string> WgAsync(string[] args, string? stdin, CancellationToken ct)
    {
        var info = new ProcessStartInfo("wg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw FormationException.Invalid("'wg' is not installed on this machine; install wireguard-tools (Debian: apt-get install wireguard-tools).");
        }

        using (process)
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteLineAsync(stdin.AsMemory(), ct);
            }

            process.StandardInput.Close();
            var text = await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"wg {string.Join(' ', args)} failed: {await process.StandardError.ReadToEndAsync(ct)}");
            }

            return text.Trim();
        }
    }

    private sealed record NetPeerRow(string Kind, string Name, string Address, string Routes, string Endpoint, string State);
}
