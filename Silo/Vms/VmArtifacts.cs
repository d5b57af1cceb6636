using Formation.Images;
using Formation.Silo.Hypervisors;
using Formation.Silo.Pack;
using Formation.Silo.Platform;

namespace Formation.Silo.Vms;

/// <summary>
/// Gives a VM its own copies of what it boots: the kernel and initramfs (hard links where possible, so deleting the
/// image or rebuilding the kernel never breaks a VM) and a sparse copy of the image's root disk grown to the VM's disk
/// size. A VM that is started again keeps its disk.
/// </summary>
public static class VmArtifacts
{
    public static async Task PrepareAsync(ImageStoreEntry image, string kernelPath, long diskGiB, VmDirectory directory, CancellationToken cancellationToken)
    {
        // Other local users may not read a VM's disk or console: its directory (and the folder of all VMs) is 0700.
        Directory.CreateDirectory(Path.GetDirectoryName(directory.Path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Path.GetDirectoryName(directory.Path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        LinkOrCopy(kernelPath, directory.Kernel);
        var vmlinux = Path.Combine(Path.GetDirectoryName(kernelPath)!, "vmlinux");
        if (File.Exists(vmlinux))
        {
            // The uncompressed ELF kernel boots without a decompressor (much faster under formation-vmm).
            LinkOrCopy(vmlinux, directory.File("vmlinux"));
        }
        var root = image.RootFilesystemPath;
        if (image.Manifest.RootFilesystem.Kind == ImageArtifactKind.Initramfs)
        {
            LinkOrCopy(root, directory.Initrd);
            return;
        }

        if (File.Exists(directory.Disk))
        {
            return;
        }

        var partial = directory.Disk + ".partial";
        File.Delete(partial);
        await HostDisks.CopyAsync(root, partial, cancellationToken);
        var wanted = diskGiB << 30;
        if (wanted > new FileInfo(partial).Length)
        {
            await using (var disk = new FileStream(partial, FileMode.Open, FileAccess.Write))
            {
                disk.SetLength(wanted);
            }

            // e2fsck returns 1 when it fixed something (a freshly made image may need its counters updated).
            var check = await ProcessRunner.RunAsync("e2fsck", ["-fy", partial], null, 20, TimeSpan.FromMinutes(10), cancellationToken);
            if (check.ExitCode > 1)
            {
                throw new InvalidOperationException($"e2fsck of the VM's disk failed ({check.ExitCode}): {string.Join(" | ", check.OutputTail)}");
            }

            await RunAsync(cancellationToken, "resize2fs", partial);
        }

        File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(partial, directory.Disk);
    }

    private static void LinkOrCopy(string source, string target)
    {
        if (File.Exists(target))
        {
            return;
        }

        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"boot artifact {source} is missing", source);
        }

        try
        {
            HostLinks.HardLink(source, target);
        }
        catch (IOException)
        {
            File.Copy(source, target);
        }
    }

    private static Task<string> RunAsync(CancellationToken cancellationToken, string file, params string[] args) =>
        ProcessRunner.CaptureAsync(file, args, cancellationToken);
}
