using System.Security.Cryptography;
using System.Text;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>
/// Assembles small 64-bit test guests with GNU as (AT&amp;T syntax, flat binary via objcopy), cached by
/// source hash. The code is linked to run at <see cref="LoadAddress"/>.
/// </summary>
internal static class GuestAssembler
{
    public const ulong LoadAddress = 0x100000;
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "formation-kvm-test-guests");

    public static bool Available => Tools.Exists("as") && Tools.Exists("objcopy") && Tools.Exists("ld");

    public static byte[] Assemble(string source)
    {
        Directory.CreateDirectory(Cache);
        var text = ".code64\n.text\n.globl _start\n_start:\n" + source + "\n";
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        var bin = Path.Combine(Cache, hash + ".bin");
        if (File.Exists(bin))
        {
            return File.ReadAllBytes(bin);
        }

        var asm = Path.Combine(Cache, hash + ".s");
        var obj = Path.Combine(Cache, hash + ".o");
        var elf = Path.Combine(Cache, hash + ".elf");
        File.WriteAllText(asm, text);
        Tools.Run("as", "--64", "-o", obj, asm);
        Tools.Run("ld", "-m", "elf_x86_64", "-Ttext", $"0x{LoadAddress:x}", "-e", "_start", "-o", elf, obj);
        var tmp = bin + $".{Environment.ProcessId}";
        Tools.Run("objcopy", "-O", "binary", "-j", ".text", elf, tmp);
        File.Move(tmp, bin, overwrite: true);
        return File.ReadAllBytes(bin);
    }
}
