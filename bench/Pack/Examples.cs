namespace Formation.Bench.Pack;

/// <summary>The benchmark's example Formfiles (the same shapes as the tests' examples) and their build context.</summary>
internal static class Examples
{
    public const string Tiny = """
        NAME bench-tiny
        FROM tiny
        COPY ./hello.sh /app
        ENV GREETING=hello
        RUN chmod +x /app/hello.sh && echo built > /app/built.txt
        WORKDIR /app
        ENTRYPOINT ["/app/hello.sh"]
        """;

    public const string Debian = """
        NAME bench-debian
        FROM debian:bookworm
        USER username:web passwd:webpass sudo:true
        INSTALL python3
        COPY ./server.py /app
        RUN chmod 0644 /app/server.py
        WORKDIR /app
        ENTRYPOINT ["python3", "/app/server.py"]
        EXPOSE 8000
        DISK 2
        """;

    public static ContextDirectory CreateContext()
    {
        var context = new ContextDirectory();
        File.WriteAllText(Path.Combine(context.Path, "hello.sh"), "#!/bin/sh\necho \"$GREETING\"\n");
        File.WriteAllText(Path.Combine(context.Path, "server.py"),
            "import http.server\nhttp.server.HTTPServer(('0.0.0.0', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()\n");
        return context;
    }
}

internal sealed class ContextDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "formation-pack-bench-context-" + Guid.NewGuid().ToString("N"));

    public ContextDirectory() => Directory.CreateDirectory(Path);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
