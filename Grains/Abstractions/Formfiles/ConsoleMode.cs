namespace Formation.Formfiles;

/// <summary>What the guest runs on its serial console besides the entrypoint's output (Formfile <c>CONSOLE</c>).</summary>
[GenerateSerializer]
[Alias("Formation.Formfiles.ConsoleMode")]
public enum ConsoleMode
{
    /// <summary>
    /// A shell answers on the console (the default): on the tiny base a busybox <c>sh</c> as root, respawned when it
    /// exits; on Debian a serial getty that logs in the image's first USER (root when there is none).
    /// </summary>
    Shell = 0,

    /// <summary>Output only: nothing reads console input.</summary>
    None = 1,
}
