using System.Text.Json;
using Formation.Silo.Hypervisors;

namespace Formation.Silo.Vms;

/// <summary>
/// A VM's boot counters in its directory (<c>boots.json</c>), written at each boot (a few bytes, rarely), so a silo
/// restart that adopts the VM carries on counting instead of starting from zero.
/// </summary>
public sealed record VmBootCounts(long Boots, long Restarts)
{
    private const string FileName = "boots.json";

    /// <summary>The counts saved in <paramref name="directory"/>, or zeros when there are none or they cannot be read.</summary>
    public static VmBootCounts Read(VmDirectory directory)
    {
        try
        {
            return JsonSerializer.Deserialize<VmBootCounts>(File.ReadAllText(directory.File(FileName)), JsonSerializerOptions.Web) ?? new(0, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return new(0, 0);
        }
    }

    /// <summary>Saves the counts in <paramref name="directory"/> (replacing the file whole, so a crash leaves the old or the new).</summary>
    public void Write(VmDirectory directory)
    {
        var path = directory.File(FileName);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, JsonSerializerOptions.Web));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
