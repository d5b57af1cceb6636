namespace Formation.Formfiles;

/// <summary>The Formfile directives, their aliases, and hints for directives of other languages.</summary>
public static class FormfileDirectives
{
    /// <summary>Every accepted keyword (canonical and alias) mapped to its canonical directive.</summary>
    public static IReadOnlyDictionary<string, string> Keywords { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["NAME"] = "NAME",
        ["DESCRIPTION"] = "DESCRIPTION",
        ["MODEL"] = "MODEL",
        ["FROM"] = "FROM",
        ["USER"] = "USER",
        ["VCPU"] = "VCPU",
        ["CPU"] = "VCPU",
        ["CORES"] = "VCPU",
        ["MEM"] = "MEM",
        ["MEMORY"] = "MEM",
        ["MBS"] = "MEM",
        ["DISK"] = "DISK",
        ["STORAGE"] = "DISK",
        ["GPU"] = "GPU",
        ["RUN"] = "RUN",
        ["COPY"] = "COPY",
        ["INSTALL"] = "INSTALL",
        ["ENV"] = "ENV",
        ["WORKDIR"] = "WORKDIR",
        ["ENTRYPOINT"] = "ENTRYPOINT",
        ["EXPOSE"] = "EXPOSE",
        ["CONSOLE"] = "CONSOLE",
        ["HEALTHCHECK"] = "HEALTHCHECK",
    };

    /// <summary>Keywords of Dockerfiles and similar languages, with the Formfile directive to use instead.</summary>
    private static readonly Dictionary<string, string> Foreign = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CMD"] = "ENTRYPOINT",
        ["ADD"] = "COPY",
        ["LABEL"] = "DESCRIPTION",
        ["MAINTAINER"] = "DESCRIPTION",
        ["ARG"] = "ENV",
        ["RAM"] = "MEM",
        ["CPUS"] = "VCPU",
        ["APT"] = "INSTALL",
        ["APT-GET"] = "INSTALL",
        ["PACKAGES"] = "INSTALL",
        ["PORT"] = "EXPOSE",
        ["PORTS"] = "EXPOSE",
        ["IMAGE"] = "FROM",
        ["BASE"] = "FROM",
        ["HOSTNAME"] = "NAME",
        ["VOLUME"] = "DISK",
        ["GPUS"] = "GPU",
        ["USERS"] = "USER",
        ["GETTY"] = "CONSOLE",
        ["TTY"] = "CONSOLE",
        ["HEALTH"] = "HEALTHCHECK",
        ["READINESS"] = "HEALTHCHECK",
    };

    /// <summary>The canonical directive for <paramref name="keyword"/>, or null if it is not a Formfile directive.</summary>
    public static string? Canonical(string keyword) => Keywords.TryGetValue(keyword, out var canonical) ? canonical : null;

    /// <summary>The directive to suggest for an unknown keyword, or null.</summary>
    public static string? Suggest(string keyword)
    {
        if (Foreign.TryGetValue(keyword, out var mapped))
        {
            return mapped;
        }

        return Suggestions.Nearest(keyword, Keywords.Keys);
    }
}
