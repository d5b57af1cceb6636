namespace Formation.Silo.Tests.Storage;

/// <summary>The state of the compound-key and Guid-key probe grains.</summary>
[GenerateSerializer, Immutable, Alias("Formation.Silo.Tests.Storage.NameState")]
public sealed record NameState([property: Id(0)] string Name)
{
    public NameState()
        : this(string.Empty)
    {
    }
}
