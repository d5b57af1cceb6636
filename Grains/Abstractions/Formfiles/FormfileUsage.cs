namespace Formation.Formfiles;

/// <summary>Syntax and an example for each directive, quoted in diagnostics.</summary>
internal static class FormfileUsage
{
    public static IReadOnlyList<string> Canonical { get; } =
        ["NAME", "DESCRIPTION", "FROM", "USER", "VCPU", "MEM", "DISK", "GPU", "RUN", "COPY", "INSTALL", "ENV", "WORKDIR", "ENTRYPOINT", "EXPOSE", "CONSOLE", "HEALTHCHECK", "MODEL"];

    private static readonly Dictionary<string, (string Syntax, string Example)> Table = new(StringComparer.Ordinal)
    {
        ["NAME"] = ("NAME <name>", "NAME hello-server"),
        ["DESCRIPTION"] = ("DESCRIPTION <text>", "DESCRIPTION A small web server"),
        ["MODEL"] = ("MODEL required:<model-id> | preferred:<model-id>", "MODEL preferred:llama3"),
        ["FROM"] = ("FROM debian:bookworm | tiny", "FROM debian:bookworm"),
        ["USER"] = ("USER username:<name> passwd:<password> [field:value ...]", "USER username:dev passwd:secret sudo:true"),
        ["VCPU"] = ($"VCPU <{FormfileResources.MinVcpu}-{FormfileResources.MaxVcpu}>", "VCPU 2"),
        ["MEM"] = ($"MEM <megabytes {FormfileResources.MinMemoryMiB}-{FormfileResources.MaxMemoryMiB}> (or with a unit: 2G)", "MEM 2048"),
        ["DISK"] = ($"DISK <gigabytes {FormfileResources.MinDiskGiB}-{FormfileResources.MaxDiskGiB}>", "DISK 5"),
        ["GPU"] = ("GPU <RTX5090|H100|H200|B200>[:<count 1-8>]", "GPU H100:2"),
        ["RUN"] = ("RUN <shell command>", "RUN chmod +x /app/run.sh"),
        ["COPY"] = ("COPY <source>... <destination directory>", "COPY ./app /app"),
        ["INSTALL"] = ("INSTALL <package>...", "INSTALL python3 curl"),
        ["ENV"] = ("ENV [--scope=system|user:<name>|service:<name>] KEY=value...", "ENV PORT=8080"),
        ["WORKDIR"] = ("WORKDIR <absolute path>", "WORKDIR /app"),
        ["ENTRYPOINT"] = ("ENTRYPOINT [\"cmd\", \"arg\"...] | ENTRYPOINT <shell command>", "ENTRYPOINT [\"python3\", \"/app/server.py\"]"),
        ["EXPOSE"] = ("EXPOSE <port>[/tcp|/udp]...", "EXPOSE 8080/tcp"),
        ["CONSOLE"] = ("CONSOLE shell | none", "CONSOLE none"),
        ["HEALTHCHECK"] = ("HEALTHCHECK http <port> [<path>] | tcp <port> [interval=<duration>] [threshold=<n>] [start=<duration>]",
            "HEALTHCHECK http 8080 /healthz interval=5s"),
    };

    public static string Syntax(string directive) => Table[directive].Syntax;

    public static string Example(string directive) => Table[directive].Example;
}
