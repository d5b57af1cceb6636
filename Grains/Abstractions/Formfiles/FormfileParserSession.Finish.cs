using System.Collections.Immutable;

namespace Formation.Formfiles;

/// <summary>Whole-file checks after every directive has been read, and assembling the <see cref="Formfile"/>.</summary>
internal sealed partial class FormfileParserSession
{
    private Formfile? Finish()
    {
        if (_name is null && !_nameAttempted)
        {
            Error(new FormfileLocation(1, 1), FormfileDiagnosticCodes.Required, "NAME is required", "add a line such as 'NAME hello-server'");
        }

        var from = _from ?? BaseImage.DebianBookworm;
        if (from.Kind == BaseImageKind.Tiny)
        {
            foreach (var install in _installs)
            {
                Error(install, FormfileDiagnosticCodes.Conflict,
                    $"INSTALL needs apt, which the tiny base (FROM tiny at line {_fromLocation.Line}) does not have",
                    "use FROM debian:bookworm, or copy static binaries in with COPY");
            }
        }

        foreach (var (variable, location) in _env)
        {
            if (variable.Scope == EnvScopeKind.User && _users.All(u => u.Username != variable.ScopeName))
            {
                var nearest = Suggestions.Nearest(variable.ScopeName!, _users.Select(u => u.Username));
                Error(location, FormfileDiagnosticCodes.InvalidValue, $"ENV --scope=user:{variable.ScopeName} names a user this Formfile does not define",
                    nearest is null ? "add a USER line for that user" : $"did you mean 'user:{nearest}'?");
            }
        }

        CheckHealthPort();
        if (_diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return null;
        }

        var resources = new FormfileResources(
            _vcpu ?? FormfileResources.DefaultVcpu,
            _memoryMb ?? FormfileResources.DefaultMemoryMiB,
            _diskGb ?? FormfileResources.DefaultDiskGiB,
            [.. _gpus]);

        return new Formfile(
            _name!,
            _description,
            from,
            resources,
            [.. _instructions],
            [.. _users],
            EffectiveEnvironment(),
            _workdir,
            _entrypoint,
            [.. _exposed],
            _model,
            _console,
            _diskGb is not null,
            _health);
    }

    /// <summary>The variables in effect at the end: a later assignment of the same name and scope replaces an earlier one.</summary>
    private ImmutableArray<EnvVariable> EffectiveEnvironment()
    {
        var result = new List<EnvVariable>();
        foreach (var (variable, _) in _env)
        {
            result.RemoveAll(v => v.Name == variable.Name && v.Scope == variable.Scope && v.ScopeName == variable.ScopeName);
            result.Add(variable);
        }

        return [.. result];
    }
}
