using Formation.Formfiles;

namespace Formation.Silo.Pack;

/// <summary>The argv run inside the image root for RUN, INSTALL and COPY.</summary>
internal static class StepCommands
{
    private const string RunScript = "mkdir -p \"$1\" && cd \"$1\" && shift && exec /bin/sh -c \"$1\"";

    private const string InstallScript = """
        set -e
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        apt-get update -q
        apt-get install -y -q --no-install-recommends "$@"
        apt-get clean
        rm -rf /var/lib/apt/lists/*
        """;

    private const string CopyScript = """
        set -e
        BB=/usr/lib/formation/busybox
        $BB mkdir -p "$1"
        cd "$1"
        exec $BB tar -x -f -
        """;

    /// <summary>RUN: the image's /bin/sh runs the command in WORKDIR (created if missing).</summary>
    public static IReadOnlyList<string> Run(RunInstruction run, string workdir) => ["/bin/sh", "-c", RunScript, "formation-run", workdir, run.Command];

    /// <summary>INSTALL: apt-get update + install without recommends, services kept from starting, apt caches removed.</summary>
    public static IReadOnlyList<string> Install(InstallInstruction install) => ["/bin/sh", "-c", InstallScript, "formation-install", .. install.Packages];

    /// <summary>COPY: the builder streams a tar of the sources on stdin; busybox tar unpacks it in the destination.</summary>
    public static IReadOnlyList<string> Copy(CopyInstruction copy) => [GuestInit.BusyboxPath, "sh", "-c", CopyScript, "formation-copy", copy.Destination];
}
