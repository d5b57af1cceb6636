using System.Collections.Immutable;
using System.Text.Json;
using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

/// <summary>The C# names say MiB/GiB; the JSON names are the ones existing manifests (and their digests) were made with.</summary>
public sealed class FormfileResourcesJsonTests
{
    [Fact]
    public void Json_KeepsTheManifestNames_MemoryMb_DiskGb()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        var json = JsonSerializer.Serialize(new FormfileResources(2, 1024, 5, ImmutableArray<GpuRequest>.Empty), options);

        Assert.Equal("""{"vcpu":2,"memoryMb":1024,"diskGb":5,"gpus":[]}""", json);
        var back = JsonSerializer.Deserialize<FormfileResources>(json, options)!;
        Assert.Equal((1024, 5), (back.MemoryMiB, back.DiskGiB));
    }
}
