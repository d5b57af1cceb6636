using System.Text;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>
/// Writes a "newc" cpio archive (the initramfs format) without root: directories, files, symlinks and
/// device nodes are just header fields.
/// </summary>
internal sealed class CpioWriter(Stream output)
{
    private int _inode = 1;

    public void Directory(string name) => Entry(name, 0x4000 | 0x1ed, [], 0, 0);

    public void File(string name, byte[] content, bool executable = false) =>
        Entry(name, 0x8000 | (executable ? 0x1ed : 0x1a4), content, 0, 0);

    public void Symlink(string name, string target) => Entry(name, 0xa000 | 0x1ff, Encoding.ASCII.GetBytes(target), 0, 0);

    public void CharDevice(string name, int major, int minor) => Entry(name, 0x2000 | 0x180, [], major, minor);

    public void Finish() => Entry("TRAILER!!!", 0, [], 0, 0);

    private void Entry(string name, int mode, byte[] data, int rdevMajor, int rdevMinor)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        var header = new StringBuilder("070701");
        foreach (var field in new[] { _inode++, mode, 0, 0, 1, 0, data.Length, 0, 0, rdevMajor, rdevMinor, nameBytes.Length, 0 })
        {
            header.Append(field.ToString("x8"));
        }

        output.Write(Encoding.ASCII.GetBytes(header.ToString()));
        output.Write(nameBytes);
        Pad(110 + nameBytes.Length);
        output.Write(data);
        Pad(data.Length);
    }

    private void Pad(int length)
    {
        for (var i = length; i % 4 != 0; i++)
        {
            output.WriteByte(0);
        }
    }
}
