using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

public class FormfileParserDirectiveTests
{
    private const string Name = "NAME app\n";

    [Fact]
    public void Parse_MinimalFormfile_UsesDefaults()
    {
        var f = FormfileAssert.Parses("NAME app");
        Assert.Equal("app", f.Name);
        Assert.Equal(BaseImage.DebianBookworm, f.From);
        Assert.Equal(FormfileResources.DefaultVcpu, f.Resources.Vcpu);
        Assert.Equal(FormfileResources.DefaultMemoryMiB, f.Resources.MemoryMiB);
        Assert.Equal(FormfileResources.DefaultDiskGiB, f.Resources.DiskGiB);
        Assert.Empty(f.Instructions);
        Assert.Equal("/", f.Workdir);
        Assert.Null(f.Entrypoint);
    }

    [Fact]
    public void Parse_Description_KeepsTextAndStripsQuotes()
    {
        Assert.Equal("A small web server", FormfileAssert.Parses(Name + "DESCRIPTION A small web server").Description);
        Assert.Equal("quoted  text", FormfileAssert.Parses(Name + "DESCRIPTION \"quoted  text\"").Description);
    }

    [Theory]
    [InlineData("FROM tiny", BaseImageKind.Tiny)]
    [InlineData("FROM busybox", BaseImageKind.Tiny)]
    [InlineData("FROM debian:bookworm", BaseImageKind.Debian)]
    [InlineData("FROM debian", BaseImageKind.Debian)]
    [InlineData("FROM debian:12", BaseImageKind.Debian)]
    public void Parse_From_ResolvesBase(string line, BaseImageKind kind) =>
        Assert.Equal(kind, FormfileAssert.Parses(Name + line).From.Kind);

    [Theory]
    [InlineData("VCPU 4")]
    [InlineData("CPU 4")]
    [InlineData("CORES 4")]
    [InlineData("vcpu 4")]
    public void Parse_VcpuAndAliases_SetVcpu(string line) => Assert.Equal(4, FormfileAssert.Parses(Name + line).Resources.Vcpu);

    [Theory]
    [InlineData("MEM 2048", 2048)]
    [InlineData("MEMORY 1024", 1024)]
    [InlineData("MBS 768", 768)]
    [InlineData("MEM 2G", 2048)]
    [InlineData("MEM 512MB", 512)]
    [InlineData("MEM 1 GiB", 1024)]
    public void Parse_MemAndAliases_SetMemoryInMb(string line, int mb) => Assert.Equal(mb, FormfileAssert.Parses(Name + line).Resources.MemoryMiB);

    [Theory]
    [InlineData("DISK 5", 5)]
    [InlineData("STORAGE 20", 20)]
    [InlineData("DISK 10G", 10)]
    [InlineData("DISK 1T", 1024)]
    public void Parse_DiskAndAlias_SetDiskInGb(string line, int gb) => Assert.Equal(gb, FormfileAssert.Parses(Name + line).Resources.DiskGiB);

    [Fact]
    public void Parse_DiskGivenOrNot_IsToldFromTheDefaultSize()
    {
        Assert.True(FormfileAssert.Parses(Name + "DISK 5").DeclaresDisk);
        var unset = FormfileAssert.Parses(Name + "MEM 512");
        Assert.False(unset.DeclaresDisk);
        Assert.Equal(FormfileResources.DefaultDiskGiB, unset.Resources.DiskGiB);
    }

    [Fact]
    public void Parse_Gpu_RepeatsWithCounts()
    {
        var f = FormfileAssert.Parses(Name + "GPU H100:2\nGPU rtx5090");
        Assert.Equal([new GpuRequest("H100", 2), new GpuRequest("RTX5090", 1)], f.Resources.Gpus);
    }

    [Fact]
    public void Parse_Model_RequiredAndPreferred()
    {
        Assert.Equal(new ModelRequirement("llama3", true), FormfileAssert.Parses(Name + "MODEL required:llama3").Model);
        Assert.Equal(new ModelRequirement("org/m-7b", false), FormfileAssert.Parses(Name + "MODEL preferred:org/m-7b").Model);
    }

    [Fact]
    public void Parse_Run_KeepsShellTextAndConvertsJsonForm()
    {
        var f = FormfileAssert.Parses(Name + "RUN echo \"hi there\" > /x && ls\nRUN [\"/bin/echo\", \"a b\"]");
        Assert.Equal("echo \"hi there\" > /x && ls", Assert.IsType<RunInstruction>(f.Instructions[0]).Command);
        Assert.Equal("/bin/echo 'a b'", Assert.IsType<RunInstruction>(f.Instructions[1]).Command);
        Assert.Equal(new FormfileLocation(2, 1), f.Instructions[0].Location);
    }

    [Fact]
    public void Parse_Copy_NormalizesSourcesAndResolvesDestinationAgainstWorkdir()
    {
        var f = FormfileAssert.Parses(Name + "COPY ./a/../b \"my file\" /opt/app/\nWORKDIR /srv\nCOPY . data");
        var first = Assert.IsType<CopyInstruction>(f.Instructions[0]);
        Assert.Equal(["b", "my file"], first.Sources);
        Assert.Equal("/opt/app", first.Destination);
        var second = Assert.IsType<CopyInstruction>(f.Instructions[2]);
        Assert.Equal(["."], second.Sources);
        Assert.Equal("/srv/data", second.Destination);
    }

    [Fact]
    public void Parse_Install_ListsPackages()
    {
        var f = FormfileAssert.Parses(Name + "INSTALL python3 curl libc6=2.36-9 nginx/bookworm-backports");
        Assert.Equal(["python3", "curl", "libc6=2.36-9", "nginx/bookworm-backports"], Assert.IsType<InstallInstruction>(f.Instructions[0]).Packages);
    }

    [Fact]
    public void Parse_Env_AllFormsAndScopes()
    {
        var f = FormfileAssert.Parses(Name + """
            USER username:dev passwd:x
            ENV PORT=8080
            ENV GREETING="hello world" EMPTY=
            ENV LEGACY some words here
            ENV --scope=user:dev EDITOR=vim
            ENV --scope=service:form-app MODE=prod
            ENV --scope=service:nginx WORKERS=4
            ENV --scope=system PORT=9090
            """);
        var env = f.Environment.ToDictionary(v => (v.Name, v.Scope));
        Assert.Equal("9090", env[("PORT", EnvScopeKind.System)].Value);
        Assert.Equal("hello world", env[("GREETING", EnvScopeKind.System)].Value);
        Assert.Equal("", env[("EMPTY", EnvScopeKind.System)].Value);
        Assert.Equal("some words here", env[("LEGACY", EnvScopeKind.System)].Value);
        Assert.Equal("dev", env[("EDITOR", EnvScopeKind.User)].ScopeName);
        Assert.Equal(EnvVariable.EntrypointService, env[("MODE", EnvScopeKind.Service)].ScopeName);
        Assert.True(env[("MODE", EnvScopeKind.Service)].AppliesToEntrypoint);
        Assert.False(env[("WORKERS", EnvScopeKind.Service)].AppliesToEntrypoint);
        Assert.Equal(7, f.Instructions.OfType<EnvInstruction>().Count());
    }

    [Fact]
    public void Parse_Workdir_LastOneIsTheEntrypointDirectory()
    {
        var f = FormfileAssert.Parses(Name + "WORKDIR /app//x/\nWORKDIR /srv");
        Assert.Equal("/srv", f.Workdir);
        Assert.Equal("/app/x", Assert.IsType<WorkdirInstruction>(f.Instructions[0]).Path);
    }

    [Fact]
    public void Parse_Entrypoint_JsonAndShellForms()
    {
        var json = FormfileAssert.Parses(Name + "ENTRYPOINT [\"python3\", \"/app/hello.py\"]").Entrypoint!;
        Assert.False(json.ShellForm);
        Assert.Equal(["python3", "/app/hello.py"], json.Argv);

        var shell = FormfileAssert.Parses(Name + "ENTRYPOINT python3 -m http.server 8000 > /dev/console").Entrypoint!;
        Assert.True(shell.ShellForm);
        Assert.Equal(["/bin/sh", "-c", "python3 -m http.server 8000 > /dev/console"], shell.Argv);
    }

    [Fact]
    public void Parse_RepeatedEntrypoint_LastWinsWithWarning()
    {
        var result = FormfileParser.Parse(Name + "ENTRYPOINT a\nENTRYPOINT b");
        Assert.Equal("b", result.Formfile!.Entrypoint!.Arguments[0]);
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal(3, warning.Line);
    }

    [Fact]
    public void Parse_EmptyJsonEntrypoint_IsIgnoredWithWarning()
    {
        var result = FormfileParser.Parse(Name + "ENTRYPOINT []");
        Assert.Null(result.Formfile!.Entrypoint);
        Assert.Equal(FormfileDiagnosticCodes.Suspicious, Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Parse_Expose_PortsAndProtocols()
    {
        var f = FormfileAssert.Parses(Name + "EXPOSE 80 443/tcp\nEXPOSE 53/udp 80");
        Assert.Equal([new ExposedPort(80, PortProtocol.Tcp), new ExposedPort(443, PortProtocol.Tcp), new ExposedPort(53, PortProtocol.Udp)], f.ExposedPorts);
    }

    [Fact]
    public void Parse_CommentsBlankLinesAndCrLf_AreIgnored()
    {
        var f = FormfileAssert.Parses("# comment\r\n\r\n   # indented comment\r\nNAME app\r\n\tRUN true\r\n");
        Assert.Equal("app", f.Name);
        Assert.Equal("true", Assert.IsType<RunInstruction>(Assert.Single(f.Instructions)).Command);
    }

    [Fact]
    public void Parse_Instructions_KeepFileOrder()
    {
        var f = FormfileAssert.Parses(Name + "RUN a\nUSER username:u passwd:p\nCOPY x /x\nENV A=1\nINSTALL b\nWORKDIR /w\nRUN c");
        Assert.Equal(["RUN", "USER", "COPY", "ENV", "INSTALL", "WORKDIR", "RUN"], f.Instructions.Select(i => i.Directive));
    }
}
