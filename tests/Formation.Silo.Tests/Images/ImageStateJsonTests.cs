using Formation.Formfiles;
using Formation.Grains.Images;
using Formation.Images;
using Formation.Silo.Storage;

namespace Formation.Silo.Tests.Images;

/// <summary>Image state is stored as plain JSON (grain state and catalog rows): it must read back whole after a restart.</summary>
public sealed class ImageStateJsonTests
{
    private const string Formfile = """
        NAME json-web
        DESCRIPTION Round trip
        FROM debian:bookworm
        USER username:app lock_passwd:true sudo:true groups:adm,www-data
        VCPU 2
        MEM 1024
        DISK 8
        ENV --scope=service:app PORT=8080
        ENV MODE=prod
        WORKDIR /srv
        ENTRYPOINT ["python3", "-m", "http.server", "8080"]
        EXPOSE 8080/tcp 53/udp
        """;

    [Fact]
    public void ImageGrainState_WithAFullManifest_RoundTripsThroughTheStorageSerializer()
    {
        var formfile = FormfileParser.Parse(Formfile).Formfile ?? throw new InvalidOperationException(string.Join("\n", FormfileParser.Parse(Formfile).Diagnostics));
        var manifest = new ImageManifest
        {
            Digest = "sha256:" + new string('a', 64),
            Name = formfile.Name,
            Description = formfile.Description,
            Base = formfile.From,
            CreatedAt = DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture),
            Kernel = new KernelReference("/var/cache/formation/guest-kernel/x/bzImage", "sha256:" + new string('b', 64)),
            KernelCommandLine = "console=ttyS0 root=/dev/vda rw",
            RootFilesystem = new ImageArtifact(ImageArtifactKind.Ext4Disk, "rootfs.ext4", "sha256-4m:" + new string('c', 64), 8L << 30),
            Entrypoint = formfile.Entrypoint,
            Environment = formfile.Environment,
            Workdir = formfile.Workdir,
            Users = [new ImageUser("app", 1000, ["adm", "www-data"], true, "/bin/bash", 1, true)],
            ExposedPorts = formfile.ExposedPorts,
            Resources = formfile.Resources,
            Layers = ["k1", "k2"],
            FormfileDigest = "sha256:" + new string('d', 64),
        };
        var state = new ImageGrainState
        {
            Status = new ImageStatus("json-web:latest", ImageBuildState.Ready, manifest.Digest, 123, ["node-a", "node-b"], null, manifest.CreatedAt, "node-a/build-x"),
            Manifest = manifest,
            BuildSession = "node-a/build-x",
            Retired = [new RetiredImage("node-c", "sha256:" + new string('e', 64))],
        };
        var serializer = new FormationJsonGrainStorageSerializer();

        var json = serializer.Serialize(state);
        var back = serializer.Deserialize<ImageGrainState>(json)!;

        Assert.Equal(json.ToString(), serializer.Serialize(back).ToString());
        Assert.DoesNotContain("Formation.", json.ToString()); // no .NET type names in rows
        Assert.Equal(["python3", "-m", "http.server", "8080"], back.Manifest!.Entrypoint!.Argv);
        Assert.Equal(["node-a", "node-b"], back.Status!.Nodes);
        Assert.Equal(ImageStore(back.Manifest), ImageStore(manifest));
    }

    private static string ImageStore(ImageManifest manifest) => Formation.Silo.Pack.ImageStore.ComputeDigest(manifest);
}
