using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

/// <summary>
/// A Debian image with INSTALL python3, COPY and an HTTP ENTRYPOINT builds and serves a request when booted under
/// QEMU/TCG with user-mode networking. Uses a shared data directory so the Debian base is built once per machine
/// (FORMATION_PACK_TEST_DATA, default /var/tmp/formation-pack-tests).
/// </summary>
[Trait("Category", "Slow")]
public class DebianImageTests : IDisposable
{
    private const string Formfile = """
        NAME web-hello
        DESCRIPTION python http server
        FROM debian:bookworm
        USER username:web passwd:webpass groups:adm sudo:true ssh_authorized_keys:"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPyzF/dcTQvyOdxfnnNfzOqgKuqyQAHMA/iYaM4grl08 web@example"
        INSTALL python3
        COPY ./server.py /app
        WORKDIR /app
        ENV PORT=8000
        ENTRYPOINT ["python3", "/app/server.py"]
        EXPOSE 8000
        DISK 2
        MEM 512
        """;

    private const string Server = """
        import http.server, os, socket, pwd
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = f"hello from {socket.gethostname()} user={pwd.getpwnam('web').pw_uid} cwd={os.getcwd()}\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        print("serving on", os.environ["PORT"], flush=True)
        http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
        """;

    private readonly TestDirectory _context = new("pack-context");
    private readonly string _tag = "web-hello-" + Guid.NewGuid().ToString("N")[..8];
    private ImageStore? _store;

    public static string SharedDataDirectory =>
        Environment.GetEnvironmentVariable("FORMATION_PACK_TEST_DATA") ?? "/var/tmp/formation-pack-tests";

    [Fact]
    public async Task BuildAndBoot_DebianPythonServer_ServesHttpRequest()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        var kernel = TestEnvironment.RequireFormationKernel();
        _context.Write("server.py", Server);
        var options = new PackOptions { DataDirectory = SharedDataDirectory };
        _store = new ImageStore(options);
        var progress = new RecordingProgress();

        var manifest = await new ImageBuilder(options, _store).BuildAsync(
            new BuildRequest(Formfile, ContextDirectory: _context.Path, Tag: _tag), progress, TestContext.Current.CancellationToken);

        Assert.Equal(ImageArtifactKind.Ext4Disk, manifest.RootFilesystem.Kind);
        Assert.Equal(2L << 30, manifest.RootFilesystem.SizeBytes);
        Assert.Equal("console=ttyS0 root=/dev/vda rw", manifest.KernelCommandLine);
        Assert.Equal(kernel, manifest.Kernel!.Path);
        var user = Assert.Single(manifest.Users);
        Assert.Equal(("web", 1000, true, "/bin/bash", 1), (user.Username, user.Uid, user.Sudo, user.Shell, user.SshKeyCount));
        Assert.Contains(progress.Events, e => e.Kind == BuildProgressKind.Warning && e.Message!.Contains("sudo is not installed"));
        var entry = (await _store.GetAsync(_tag, TestContext.Current.CancellationToken))!;

        var port = FreePorts.Next();
        using var guest = QemuGuest.Start(kernel, manifest.KernelCommandLine + " panic=-1 ip=10.0.2.15::10.0.2.2:255.255.255.0:web-hello:eth0:off",
            disk: entry.RootFilesystemPath, hostPort: port, guestPort: 8000);
        var ready = await guest.WaitForLineAsync(l => l.Contains(ImageManifest.ReadyLine), TimeSpan.FromSeconds(120));
        Assert.True(ready >= 0, "no readiness line; console:\n" + guest.Console);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string? body = null;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (body is null && DateTime.UtcNow < deadline)
        {
            try
            {
                body = await http.GetStringAsync($"http://127.0.0.1:{port}/", TestContext.Current.CancellationToken);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(1000, TestContext.Current.CancellationToken);
            }
            catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
            }
        }

        Assert.True(body is not null, "no HTTP answer; console:\n" + guest.Console);
        Assert.Equal("hello from web-hello user=1000 cwd=/app\n", body);
    }

    public void Dispose()
    {
        if (_store is not null)
        {
            _store.DeleteAsync(_tag).GetAwaiter().GetResult();
        }

        _context.Dispose();
    }
}
