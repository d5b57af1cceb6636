using System.Text.Json;
using Formation.Silo.Storage;

namespace Formation.Silo.Tests.Storage;

public sealed class FormationJsonGrainStorageSerializerTests
{
    private readonly FormationJsonGrainStorageSerializer _serializer = new();

    [Fact]
    public void Serialize_Record_WritesCamelCaseJsonWithEnumNamesAndNoTypeNames()
    {
        var json = _serializer.Serialize(new ProbeState { Name = "n", Count = 3, Color = ProbeColor.Red, Tags = ["a"] }).ToString();

        Assert.Equal("""{"name":"n","count":3,"color":"Red","tags":["a"],"owner":null}""", json);
    }

    [Fact]
    public void Deserialize_WhatSerializeWrote_GivesAnEqualState()
    {
        var owner = new ProbeOwner("bob", new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)));

        var read = _serializer.Deserialize<ProbeState>(_serializer.Serialize(new ProbeState { Name = "x", Owner = owner }));

        Assert.NotNull(read);
        Assert.Equal("x", read.Name);
        Assert.Equal(owner, read.Owner);
    }

    [Fact]
    public void Deserialize_UnknownAndMissingProperties_AreToleratedSoStateTypesCanEvolve()
    {
        var read = _serializer.Deserialize<ProbeState>(new BinaryData("""{"name":"old","retired":true}"""u8.ToArray()));

        Assert.NotNull(read);
        Assert.Equal("old", read.Name);
        Assert.Equal(0, read.Count);
    }

    [Fact]
    public void Deserialize_NotJson_SaysWhichTypeAndShowsTheStoredText()
    {
        var error = Assert.Throws<JsonException>(() => _serializer.Deserialize<ProbeState>(new BinaryData("\u0001binary"u8.ToArray())));

        Assert.Contains(nameof(ProbeState), error.Message);
        Assert.Contains("binary", error.Message);
    }
}
