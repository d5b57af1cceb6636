using Formation.Formfiles;
using Formation.Images;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Formation.Grains.Abstractions.Tests.Images;

/// <summary>The records that cross the Orleans wire survive the Orleans serializer (generated codecs exist).</summary>
public class WireSerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    private static T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.SerializeToArray(value))!;

    [Fact]
    public void ImageManifest_RoundTrips()
    {
        var formfile = FormfileParser.Parse("""
            NAME web
            USER username:dev passwd:x
            ENV A=1
            ENTRYPOINT ["python3", "app.py"]
            EXPOSE 80 53/udp
            GPU H100:2
            """).Formfile!;
        var manifest = new ImageManifest
        {
            Digest = "sha256:" + new string('a', 64),
            Name = "web",
            Base = BaseImage.DebianBookworm,
            CreatedAt = DateTimeOffset.UnixEpoch,
            Kernel = new KernelReference("/k/bzImage", "sha256:" + new string('b', 64)),
            KernelCommandLine = "console=ttyS0 root=/dev/vda rw",
            RootFilesystem = new ImageArtifact(ImageArtifactKind.Ext4Disk, "rootfs.ext4", "sha256:c", 42),
            Entrypoint = formfile.Entrypoint,
            Environment = formfile.Environment,
            Users = [new ImageUser("dev", 1000, ["adm"], true, "/bin/bash", 1, false)],
            ExposedPorts = formfile.ExposedPorts,
            Resources = formfile.Resources,
            Layers = ["k1", "k2"],
        };

        var copy = RoundTrip(manifest);

        Assert.Equal(manifest.Digest, copy.Digest);
        Assert.Equal(manifest.Kernel, copy.Kernel);
        Assert.Equal(manifest.RootFilesystem, copy.RootFilesystem);
        Assert.Equal(manifest.Entrypoint!.Arguments, copy.Entrypoint!.Arguments);
        Assert.Equal(manifest.ExposedPorts, copy.ExposedPorts);
        Assert.Equal(manifest.Users[0].Groups, copy.Users[0].Groups);
        Assert.Equal(manifest.Resources.Gpus, copy.Resources.Gpus);
        Assert.Equal(manifest.Layers, copy.Layers);
        Assert.Equal(manifest.Environment, copy.Environment);
    }

    [Fact]
    public void ParseResultWithDiagnosticsAndFormfile_RoundTrip()
    {
        var result = FormfileParser.Parse("NAME a\nUSER username:u passwd:p\nCOPY x /x\nRUN true\nINSTALL curl\nWORKDIR /w\nENV A=1\nENTRYPOINT a\nENTRYPOINT b");
        var copy = RoundTrip(result);
        Assert.Equal(result.Diagnostics, copy.Diagnostics);
        Assert.Equal(result.Formfile!.Instructions.Select(i => i.Text), copy.Formfile!.Instructions.Select(i => i.Text));
        Assert.IsType<UserInstruction>(copy.Formfile.Instructions[0]);
        Assert.Equal(result.Formfile.Instructions[0].Location, copy.Formfile.Instructions[0].Location);
    }

    [Fact]
    public void BuildProgressAndFailure_RoundTrip()
    {
        var progress = new BuildProgress(BuildProgressKind.StepCached, 3, 7, "RUN x", "cached", TimeSpan.FromSeconds(1.5));
        Assert.Equal(progress, RoundTrip(progress));

        var failure = new BuildFailure(4, 7, "RUN false", 5, 1, ["out"], "the command exited with status 1");
        var copy = RoundTrip(failure);
        Assert.Equal(failure.OutputTail, copy.OutputTail);
        Assert.Equal(failure with { OutputTail = copy.OutputTail }, copy);

        var exception = RoundTrip(new ImageBuildException(failure));
        Assert.Equal(failure.Message, exception.Failure.Message);
    }
}
