namespace Formation.Formfiles;

/// <summary>Where an <c>ENV</c> variable applies (<c>--scope=</c>).</summary>
[GenerateSerializer, Alias("Formation.Formfiles.EnvScopeKind")]
public enum EnvScopeKind
{
    /// <summary>Everywhere: later build steps, the entrypoint service and login shells. The default.</summary>
    System = 0,

    /// <summary>Login shells of one user (<c>--scope=user:NAME</c>).</summary>
    User = 1,

    /// <summary>One service's environment file <c>/etc/NAME.env</c> (<c>--scope=service:NAME</c>);
    /// the entrypoint service is <c>app</c> (alias <c>form-app</c>).</summary>
    Service = 2,
}
