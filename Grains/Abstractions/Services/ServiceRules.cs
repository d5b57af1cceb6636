using Formation.Errors;
using Formation.Vms;

namespace Formation.Services;

/// <summary>Limits on services, checked by the service grain, the CLI and the HTTP API alike.</summary>
public static class ServiceRules
{
    public const int MaxReplicas = 100;

    /// <summary>
    /// A service name leaves room for the replica suffix (<c>-N</c>) inside one DNS label, so every replica name is a
    /// valid VM name too.
    /// </summary>
    public const int MaxNameLength = Names.MaxLength - 5;

    public static void RequireName(string? name)
    {
        Names.RequireDnsLabel(name, "Service name");
        if (name!.Length > MaxNameLength)
        {
            throw FormationException.Invalid($"Service name '{name}' is {name.Length} characters long; at most {MaxNameLength} leave room for the replica number.");
        }
    }

    public static void RequireReplicas(int replicas)
    {
        if (replicas is < 0 or > MaxReplicas)
        {
            throw FormationException.Invalid($"A service runs 0 to {MaxReplicas} replicas; {replicas} was asked for.");
        }
    }

    /// <summary>Validates a deploy: the name, the count and the template as a VM spec (in the CLI's words).</summary>
    public static void Validate(ServiceSpec spec)
    {
        RequireName(spec.Name);
        if (spec.Replicas is { } replicas)
        {
            RequireReplicas(replicas);
        }

        if (spec.Template.Image is null)
        {
            throw FormationException.Invalid($"Service '{spec.Name}' needs an image: deploy a Formfile or name an image.");
        }

        VmSpecRules.Validate(spec.Template with { Name = ReplicaName(spec.Name, 1) });
        spec.Health?.Validate();
    }

    /// <summary>The VM name of replica number <paramref name="ordinal"/> of a service.</summary>
    public static string ReplicaName(string service, int ordinal) => $"{service}-{ordinal}";
}
